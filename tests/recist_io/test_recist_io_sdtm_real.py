"""What real SDTM files hold and the hand-made study of conftest.py did not: partial dates,
several readers under one evaluator name, two scans under one VISITNUM, DM subjects without
tumour data, float noise, study days that disagree with dates, STUDYID. Each test rebuilds the
defect in a small fixture derived from the hand-made study."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

from oncodyn.data.cdisc import from_sdtm
from oncodyn.errors import DataError
from oncodyn.recist import evaluate

REF = pd.Timestamp("2024-01-01")
FILES = {"tu": "tu.csv", "tr": "tr.csv", "dm": "dm.csv"}


def _with_study_day(tr: pd.DataFrame) -> pd.DataFrame:
    """TRDY consistent with TRDTC and the reference date 2024-01-01 (SDTM: no day 0)."""
    off = (pd.to_datetime(tr["TRDTC"]) - REF).dt.days
    return tr.assign(TRDY=off.where(off < 0, off + 1))


def _row(tr, subject, visit, lesion, test=None):
    m = (tr.USUBJID == subject) & (tr.VISITNUM == visit) & (tr.TRLNKID == lesion)
    if test is not None:
        m &= tr.TRTESTCD == test
    (i,) = tr.index[m]
    return i


def _bor(t):
    res = evaluate(t.lesions, assessments=t.assessments, subjects=t.subjects)
    return res.best_response.set_index("subject_id")["bor"].to_dict()


# ------------------------------------------------------------------------- partial dates
def test_partial_date_completed_from_study_day_and_reported(sdtm):
    tu, tr, dm = sdtm
    tr = _with_study_day(tr)
    i = _row(tr, "01-004", 2, "T02")
    full = pd.Timestamp(tr.loc[i, "TRDTC"])
    tr.loc[i, "TRDTC"] = full.strftime("%Y-%m")  # "2024-02", TRDY still there
    t = from_sdtm(tu, tr, dm=dm, files=FILES)
    les = t.lesions.set_index(["subject_id", "tp", "lesion_id"])
    assert les.loc[("01-004", 1, "T02"), "date"] == full  # study day + RFSTDTC: exact
    f = t.findings[t.findings["finding"] == "imputed_date"]
    assert len(f) == 1
    rec = f.iloc[0]
    assert (rec["file"], rec["row"], rec["column"], rec["value"]) == ("tr.csv", i + 1, "TRDTC",
                                                                      "2024-02")
    assert full.strftime("%Y-%m-%d") in rec["detail"] and "study day" in rec["detail"]
    assert any("1 partial date(s) completed" in n for n in t.notes)
    assert _bor(t) == _bor(from_sdtm(*sdtm[:2], dm=dm))  # same responses as the full dates


@pytest.mark.parametrize("policy, value, expected", [
    ("first", "2024-02", "2024-02-01"), ("last", "2024-02", "2024-02-29"),  # 2024: leap year
    ("first", "2024", "2024-01-01"), ("last", "2024", "2024-12-31"),
])
def test_partial_date_without_study_day_takes_first_or_last_day(sdtm, policy, value, expected):
    tu, tr, dm = sdtm
    tr = tr.copy()
    i = _row(tr, "01-004", 2, "T02")
    tr.loc[i, "TRDTC"] = value
    t = from_sdtm(tu, tr, files=FILES, partial_dates=policy)  # no DM, no TRDY
    les = t.lesions.set_index(["subject_id", "tp", "lesion_id"])
    assert les.loc[("01-004", 1, "T02"), "date"] == pd.Timestamp(expected)
    (detail,) = t.findings["detail"]
    assert detail.startswith(expected) and policy in detail


def test_partial_dates_refused_on_request_and_every_one_reported(sdtm):
    tu, tr, dm = sdtm
    tr = tr.copy()
    rows = tr.index[(tr.VISITNUM == 3) & (tr.TRTESTCD != "SUMDIAM")]  # SUMDIAM: unused
    tr.loc[rows, "TRDTC"] = "2024-03"
    dm = dm.assign(RFSTDTC=["2024-01", "2024-01-01", "2024-01-01", "2024-01-01"])
    with pytest.raises(DataError, match="partial date") as e:
        from_sdtm(tu, tr, dm=dm, files=FILES, partial_dates="error")
    assert (e.value.file, e.value.row, e.value.column) == ("dm.csv", 1, "RFSTDTC")
    t = from_sdtm(tu, tr, dm=dm, files=FILES)
    f = t.findings[t.findings["finding"] == "imputed_date"]
    assert len(f) == len(rows) + 1
    assert sorted(f.loc[f["file"] == "tr.csv", "row"]) == sorted(rows + 1)
    assert t.subjects.set_index("subject_id").loc["01-001", "reference_date"] == REF


# ------------------------------------------------------------------------- readers
def _two_readers(sdtm):
    """The study read by two radiologists of one independent review (same TUEVAL, different
    TUEVALID), reader 2 with its own lesion ids."""
    tu, tr, dm = sdtm
    ia = "INDEPENDENT ASSESSOR"
    tu1 = tu.assign(TUEVAL=ia, TUEVALID="RADIOLOGIST 1")
    tr1 = tr.assign(TREVAL=ia, TREVALID="RADIOLOGIST 1")
    tu2 = tu1.assign(TUEVALID="RADIOLOGIST 2", TULNKID="B" + tu1["TULNKID"])
    tr2 = tr1.assign(TREVALID="RADIOLOGIST 2", TRLNKID="B" + tr1["TRLNKID"])
    return (pd.concat([tu1, tu2], ignore_index=True), pd.concat([tr1, tr2], ignore_index=True),
            dm)


def test_readers_sharing_an_evaluator_name_are_never_pooled(sdtm):
    tu, tr, dm = _two_readers(sdtm)
    with pytest.raises(DataError) as e:
        from_sdtm(tu, tr, dm=dm, evaluator="INDEPENDENT ASSESSOR", files=FILES)
    msg = str(e.value)
    assert "RADIOLOGIST 1" in msg and "RADIOLOGIST 2" in msg and "evaluator_id" in msg
    assert (e.value.file, e.value.column) == ("tu.csv", "TUEVALID")
    one = from_sdtm(*sdtm[:2], dm=dm)
    for reader, prefix in (("RADIOLOGIST 1", ""), ("radiologist 2", "B")):
        t = from_sdtm(tu, tr, dm=dm, evaluator="INDEPENDENT ASSESSOR", evaluator_id=reader)
        assert len(t.lesions) == len(one.lesions)
        assert t.lesions["lesion_id"].str.startswith("B").all() == (prefix == "B")
        assert _bor(t) == _bor(one)
    with pytest.raises(DataError, match="no TU record with TUEVALID = 'RADIOLOGIST 3'"):
        from_sdtm(tu, tr, evaluator_id="RADIOLOGIST 3")


# ------------------------------------------------------------------------- repeated scans
def _second_scan(sdtm):
    """Subject 01-004 scanned again three months later, recorded under the same VISITNUM 2:
    30 + 12 = 42 mm (SD) on 2024-02-12, then 50 + 20 = 70 mm (+67% from the nadir: PD)."""
    tu, tr, dm = sdtm
    rows = tr[(tr.USUBJID == "01-004") & (tr.VISITNUM == 2)].copy()
    rows["TRDTC"] = "2024-05-13"
    rows["TRSTRESN"] = rows["TRLNKID"].map({"T01": 50.0, "T02": 20.0})
    rows["TRORRES"] = rows["TRSTRESC"] = rows["TRSTRESN"].astype(str)
    return tu, pd.concat([tr, rows], ignore_index=True), dm, rows


def test_two_scans_under_one_visitnum_are_an_error_naming_both(sdtm):
    tu, tr, dm, rows = _second_scan(sdtm)
    first = _row(sdtm[1], "01-004", 2, "T01") + 1
    second = len(sdtm[1]) + 1
    with pytest.raises(DataError) as e:
        from_sdtm(tu, tr, dm=dm, files=FILES)
    msg = str(e.value)
    assert f"TR row {first}" in msg and f"TR row {second}" in msg
    assert "2024-02-12" in msg and "2024-05-13" in msg and "repeated_scans" in msg
    assert (e.value.file, e.value.column) == ("tr.csv", "VISITNUM")


def test_two_scans_under_one_visitnum_kept_apart_by_date(sdtm):
    tu, tr, dm, rows = _second_scan(sdtm)
    t = from_sdtm(tu, tr, dm=dm, repeated_scans="split")
    a = t.assessments[t.assessments.subject_id == "01-004"]
    assert a["tp"].tolist() == [0, 1, 2]
    assert a["date"].dt.strftime("%Y-%m-%d").tolist() == ["2023-12-28", "2024-02-12",
                                                          "2024-05-13"]
    res = evaluate(t.lesions, assessments=t.assessments, subjects=t.subjects)
    tp = res.timepoints[res.timepoints.subject_id == "01-004"].set_index("tp")
    assert tp.loc[1, "overall"] == "SD" and tp.loc[2, "overall"] == "PD"
    assert tp["sod_mm"].tolist() == [42.0, 70.0]  # the later scan no longer overwrites
    assert any("kept apart by date" in n for n in t.notes)


def test_exact_duplicate_record_is_dropped_but_conflicting_one_refused(sdtm):
    tu, tr, dm = sdtm
    i = _row(tr, "01-004", 2, "T02")
    dup = pd.concat([tr, tr.loc[[i]]], ignore_index=True)
    t = from_sdtm(tu, dup, dm=dm)
    assert len(t.lesions) == 33 and any("exact duplicate" in n for n in t.notes)
    bad = dup.copy()
    bad.loc[len(tr), ["TRSTRESN", "TRORRES", "TRSTRESC"]] = [13.0, "13", "13"]
    with pytest.raises(DataError, match=f"TR rows {i + 1} and {len(tr) + 1}"):
        from_sdtm(tu, bad, dm=dm)


# ------------------------------------------------------------------------- DM without data
@pytest.mark.parametrize("choice", ["exclude", "include"])
def test_dm_subjects_without_tumour_data_reported_and_denominator_chosen(sdtm, choice):
    tu, tr, dm = sdtm
    dm = pd.concat([dm, pd.DataFrame({"STUDYID": ["XX"], "USUBJID": ["01-005"],
                                      "RFSTDTC": ["2024-01-01"], "DTHDTC": [None]})],
                   ignore_index=True)
    t = from_sdtm(tu, tr, dm=dm, subjects_without_tumour_data=choice)
    assert t.no_tumour_data == ("01-005",)
    assert any("1 subject(s) without any tumour record" in n for n in t.notes)
    bor = _bor(t)
    if choice == "exclude":
        assert "01-005" not in bor and len(bor) == 4
    else:
        assert bor["01-005"] == "NE" and len(bor) == 5


# ------------------------------------------------------------------------- sizes
def test_float_noise_rounded_and_finer_precision_refused_at_tr_row(sdtm):
    tu, tr, dm = sdtm
    tr = tr.copy()
    i = _row(tr, "01-004", 2, "T02")
    tr["TRSTRESN"] = tr["TRSTRESN"].astype(object)
    tr.loc[i, "TRSTRESN"] = "11.700000000000001"  # 0.1 + ... in a SAS or Python pipeline
    t = from_sdtm(tu, tr, dm=dm, files=FILES)
    les = t.lesions.set_index(["subject_id", "tp", "lesion_id"])
    assert les.loc[("01-004", 1, "T02"), "ld_mm"] == 11.7
    for value, message in (("11.725", "finer precision than 0.01 mm"), ("1e308", "above 500 mm"),
                           ("-1", "negative"), ("inf", "finite")):
        tr.loc[i, "TRSTRESN"] = value
        with pytest.raises(DataError, match=message) as e:
            from_sdtm(tu, tr, dm=dm, files=FILES)
        assert (e.value.file, e.value.row, e.value.column) == ("tr.csv", i + 1, "TRSTRESN")


@pytest.mark.parametrize("value", [11.7 + 1e-15, 11.7 * (1 + 5e-7), 11.725, 11.7001, 0.005,
                                   234.56, 234.5600001, 499.99, 500.0])
def test_sdtm_size_check_agrees_with_the_engine(sdtm, value):
    """One precision rule: from_sdtm refuses a size iff the RECIST engine refuses it."""
    tu, tr, dm = sdtm
    tr = tr.copy()
    i = _row(tr, "01-004", 2, "T02")
    tr["TRSTRESN"] = tr["TRSTRESN"].astype(object)
    tr.loc[i, "TRSTRESN"] = repr(value)
    good = from_sdtm(tu, sdtm[1], dm=dm)
    les = good.lesions.copy()
    j = les.index[(les.subject_id == "01-004") & (les.tp == 1) & (les.lesion_id == "T02")][0]
    les.loc[j, "ld_mm"] = value
    try:
        evaluate(les)
        engine_ok = True
    except DataError:
        engine_ok = False
    try:
        from_sdtm(tu, tr, dm=dm)
        sdtm_ok = True
    except DataError:
        sdtm_ok = False
    assert sdtm_ok == engine_ok


# ------------------------------------------------------------------------- study day, STUDYID
def test_study_day_disagreeing_with_dates_is_reported(sdtm):
    tu, tr, dm = sdtm
    tr = _with_study_day(tr)
    assert from_sdtm(tu, tr, dm=dm).findings.empty  # consistent days: nothing to say
    i = _row(tr, "01-002", 3, "T01")
    tr.loc[i, "TRDY"] = tr.loc[i, "TRDY"] + 3
    t = from_sdtm(tu, tr, dm=dm, files=FILES)
    f = t.findings[t.findings["finding"] == "study_day_disagrees"]
    assert len(f) == 1 and f.iloc[0]["row"] == i + 1 and f.iloc[0]["column"] == "TRDY"
    assert "gives study day 85" in f.iloc[0]["detail"] and "TRDY 88" in f.iloc[0]["detail"]
    assert any("disagrees with TRDTC - DM RFSTDTC on 1 record" in n for n in t.notes)


def test_studyid_taken_from_the_files(sdtm):
    tu, tr, dm = sdtm
    assert from_sdtm(tu, tr, dm=dm).studyid == "XX"
    t = from_sdtm(tu.assign(STUDYID="XX"), tr.assign(STUDYID=["XX", "YY"] * (len(tr) // 2)
                                                     + ["XX"] * (len(tr) % 2)), dm=dm)
    assert t.studyid is None and any("several STUDYID values (XX, YY)" in n for n in t.notes)


# ------------------------------------------------------------------------- the CLI
def _write(d, tu, tr, dm):
    d.mkdir()
    tu.to_csv(d / "tu.csv", index=False)
    tr.to_csv(d / "tr.csv", index=False)
    dm.to_csv(d / "dm.csv", index=False)
    return d


def _run(capsys, monkeypatch, *args):
    from oncodyn.cli.main import run

    monkeypatch.setattr(sys, "argv", ["oncodyn", "recist", *map(str, args)])
    with pytest.raises(SystemExit) as info:
        run()
    cap = capsys.readouterr()
    return info.value.code, cap.out, cap.err


def _too_many_targets(sdtm):
    """Subject 01-004 with 6 target lesions at baseline (RECIST 1.1 allows 5): a baseline
    validation error (TOO_MANY_TARGETS)."""
    tu, tr, dm = sdtm
    extra_tu, extra_tr = [], []
    for k in range(3, 7):
        lid = f"T0{k}"
        t0 = tu[(tu.USUBJID == "01-004") & (tu.TULNKID == "T02")].assign(TULNKID=lid,
                                                                         TULOC="LUNG")
        extra_tu.append(t0)
        for v in (1, 2):
            extra_tr.append(tr[(tr.USUBJID == "01-004") & (tr.TRLNKID == "T02")
                               & (tr.VISITNUM == v)].assign(TRLNKID=lid))
    return (pd.concat([tu, *extra_tu], ignore_index=True),
            pd.concat([tr, *extra_tr], ignore_index=True), dm)


def test_cli_counts_baseline_errors_and_strict_fails(sdtm, tmp_path, capsys, monkeypatch):
    d = _write(tmp_path / "sdtm", *_too_many_targets(sdtm))
    code, out, err = _run(capsys, monkeypatch, d, "--out", tmp_path / "o1", "--no-plots")
    assert code == 0
    assert "baseline validation errors: 1 of 4 subjects" in " ".join(out.split())
    assert "TOO_MANY_TARGETS" in out
    code, out, err = _run(capsys, monkeypatch, d, "--out", tmp_path / "o2", "--no-plots",
                          "--strict")
    assert code == 1 and err.startswith("error: 1 subject(s) have baseline validation errors")
    assert (tmp_path / "o2" / "messages.csv").is_file()  # outputs written for inspection
    code, out, err = _run(capsys, monkeypatch, _write(tmp_path / "ok", *sdtm), "--out",
                          tmp_path / "o3", "--no-plots", "--strict")
    assert code == 0 and "baseline validation errors" not in out


def test_cli_reports_sdtm_findings_missing_subjects_and_studyid(sdtm, tmp_path, capsys,
                                                                monkeypatch):
    tu, tr, dm = sdtm
    tr = _with_study_day(tr)
    tr.loc[_row(tr, "01-004", 2, "T02"), "TRDTC"] = "2024-02"
    dm = pd.concat([dm, pd.DataFrame({"STUDYID": ["XX"], "USUBJID": ["01-005"],
                                      "RFSTDTC": ["2024-01-01"]})], ignore_index=True)
    d = _write(tmp_path / "sdtm", tu, tr, dm)
    code, out, err = _run(capsys, monkeypatch, d, "--out", tmp_path / "o", "--no-plots")
    assert code == 0, err
    flat = " ".join(out.split())
    assert "imputed_date x1" in flat and "1 DM subject(s) without tumour data" in flat
    f = pd.read_csv(tmp_path / "o" / "sdtm_findings.csv")
    assert f["finding"].tolist() == ["imputed_date"] and f["column"].tolist() == ["TRDTC"]
    rs = pd.read_csv(tmp_path / "o" / "rs.csv")
    assert set(rs["STUDYID"]) == {"XX"}
    assert "01-005" not in set(pd.read_csv(tmp_path / "o" / "best_response.csv")["subject_id"])
    code, out, err = _run(capsys, monkeypatch, d, "--out", tmp_path / "o2", "--no-plots",
                          "--dm-without-tumour-data", "include")
    assert code == 0
    best = pd.read_csv(tmp_path / "o2" / "best_response.csv").set_index("subject_id")["bor"]
    assert best["01-005"] == "NE"


def test_cli_precision_error_names_tr_row_and_column(sdtm, tmp_path, capsys, monkeypatch):
    tu, tr, dm = sdtm
    tr = tr.copy()
    i = _row(tr, "01-001", 2, "T02")
    tr["TRSTRESN"] = tr["TRSTRESN"].astype(object)
    tr.loc[i, "TRSTRESN"] = "10.004"
    d = _write(tmp_path / "sdtm", tu, tr, dm)
    code, out, err = _run(capsys, monkeypatch, d, "--out", tmp_path / "o", "--no-plots")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"row {i + 1}" in err and "TRSTRESN" in err and "tr.csv" in err
    assert "ld_mm" not in err and "subject_id" not in err
    assert not (tmp_path / "o").exists()
