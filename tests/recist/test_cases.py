"""Every case of the spec's case file (RECIST.md §R13), each its own test.

The file is ``$ONCODYN_RECIST_CASES`` or ``../shared/spec/recist_cases.json``. Every field of
``expected`` is checked; an unknown field fails the test so that nothing goes unchecked.
Percentages are 2-decimal display values: they are compared within 0.005 (half the display step);
sizes in mm are exact to 0.01 mm in the engine and compared within 1e-9.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from oncodyn.recist import evaluate_case

ENV = "ONCODYN_RECIST_CASES"
DEFAULT = "spec/recist_cases.json"
_REPO = Path(__file__).resolve().parents[2]


def _path_for_collection() -> Path:
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    return Path(os.environ.get("ONCODYN_SHARED", _REPO.parent / "shared")) / DEFAULT


def _ids() -> list[str]:
    p = _path_for_collection()
    if not p.exists():
        return ["<case file missing>"]
    return [c["id"] for c in json.loads(p.read_text())]


@pytest.fixture(scope="module")
def cases(shared_file) -> dict:
    path = Path(os.environ[ENV]) if os.environ.get(ENV) else shared_file(DEFAULT)
    if not path.exists():
        pytest.fail(f"{ENV} names a missing file: {path}")
    return {c["id"]: c for c in json.loads(path.read_text())}


TP_TEXT = {"target", "non_target", "new_lesions", "overall", "overall_as_assessed"}
TP_MM = {"sod_mm", "baseline_sod_mm", "nadir_ref_mm", "partial_sod_mm"}
TP_PCT = {"pct_change_from_baseline", "pct_change_from_nadir"}
TP_OTHER = {"tp", "date", "excluded_after_new_therapy"}
PCT_TOL = 0.005 + 1e-9  # half of the 0.01 display step
MM_TOL = 1e-9  # sizes are exact multiples of 0.01 mm


def _check_pfs(got_row, exp: dict, where: str) -> None:
    for key, value in exp.items():
        if key == "event":
            assert bool(got_row["event"]) is value, f"{where} pfs.event"
        elif key == "date":
            assert str(got_row["date"].date()) == value, f"{where} pfs.date"
        elif key == "days":
            assert int(got_row["days"]) == value, f"{where} pfs.days"
        elif key == "reason":
            assert got_row["reason"] == value, f"{where} pfs.reason"
        else:
            pytest.fail(f"{where}: unknown pfs field {key!r}")


def _check_timepoints(res, expected: list, where: str) -> None:
    t = res.timepoints
    assert sorted(t["tp"]) == sorted(e["tp"] for e in expected), f"{where}: time points"
    for e in expected:
        row = t[t["tp"] == e["tp"]].iloc[0]
        for key, value in e.items():
            msg = f"{where} tp {e['tp']} {key}"
            if key in TP_TEXT:
                assert row[key] == value, msg
            elif key in TP_MM:
                assert abs(row[key] - value) <= MM_TOL, msg
            elif key in TP_PCT:
                assert abs(row[key] - value) <= PCT_TOL, msg
            elif key == "date":
                assert str(row["date"].date()) == value, msg
            elif key == "tp":
                pass
            elif key == "excluded_after_new_therapy":
                assert bool(row[key]) is value, msg
            else:
                pytest.fail(f"{msg}: unknown expected time-point field")


def _check_outcome(res, exp: dict, case_id: str, where: str) -> None:
    for key, value in exp.items():
        if key == "timepoints":
            _check_timepoints(res, value, where)
        elif key == "best_overall_response":
            assert res.best_response["bor"].iloc[0] == value, f"{where} BOR"
        elif key == "pfs":
            _check_pfs(res.pfs.iloc[0], value, where)
        elif key == "validation_errors":
            assert sorted(res.validation_errors(case_id)) == sorted(value), f"{where} errors"
        elif key == "classification":
            got = dict(zip(res.baseline["lesion_id"], res.baseline["classification"], strict=False))
            assert got == value, f"{where} classification"
        elif key in ("alternative", "recist11_comparison"):
            pass  # handled by the caller
        else:
            pytest.fail(f"{where}: unknown expected field {key!r}")


@pytest.mark.parametrize("case_id", _ids())
def test_case(cases, case_id: str) -> None:
    if case_id not in cases:
        pytest.fail(f"case {case_id} not in the case file")
    case = cases[case_id]
    exp = case["expected"]
    res = evaluate_case(case)
    _check_outcome(res, exp, case_id, case_id)
    if "alternative" in exp:
        alt = dict(exp["alternative"])
        alt_res = evaluate_case(case, alt.pop("options"))
        _check_outcome(alt_res, alt, case_id, f"{case_id} alternative")
    if "recist11_comparison" in exp:
        comp = dict(exp["recist11_comparison"])
        r11 = evaluate_case(case, {"criteria": "RECIST1.1"})
        if "overall" in comp:
            assert list(r11.timepoints.sort_values("tp")["overall"]) == comp.pop("overall")
        _check_outcome(r11, comp, case_id, f"{case_id} RECIST 1.1 comparison")


@pytest.mark.parametrize("case_id", _ids())
def test_case_reference_engine_agrees(cases, case_id: str) -> None:
    """The forced row-by-row engine gives the same frames as the routed evaluation."""
    if case_id not in cases:
        pytest.fail(f"case {case_id} not in the case file")
    a = evaluate_case(cases[case_id])
    b = evaluate_case(cases[case_id], engine="reference")
    for name in ("timepoints", "best_response", "pfs"):
        import pandas.testing as pdt
        pdt.assert_frame_equal(getattr(a, name), getattr(b, name), check_dtype=False)
