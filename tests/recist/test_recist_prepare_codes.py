"""The integer-coded input preparation (fast path) keeps the semantics of the row-wise one."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from oncodyn.errors import DataError
from oncodyn.recist import evaluate
from oncodyn.recist.synthetic import generate_cohort


def _two_subjects() -> pd.DataFrame:
    rows = []
    for sid in ("B", "A"):  # not in sorted order: output follows first appearance
        for tp, day, ld in ((0, -7, 30.0), (1, 42, 20.0), (2, 84, 19.5)):
            rows.append({"subject_id": sid, "tp": tp, "day": day, "lesion_id": "T1",
                         "role": "target ", "organ": "liver", "ld_mm": ld})
    return pd.DataFrame(rows)


def test_subject_ids_equal_as_text_are_one_subject():
    # 7 (int) and "7" (str) are the same subject once ids are text: their rows collide
    les = pd.DataFrame({"subject_id": pd.Series([7, "7"], dtype=object), "tp": [0, 0],
                        "lesion_id": ["T1", "T1"], "role": ["TARGET", "TARGET"],
                        "ld_mm": [30.0, 31.0]})
    with pytest.raises(DataError, match=r"row 1, column 'lesion_id'.*duplicated"):
        evaluate(les)


def test_first_duplicate_row_is_named():
    les = _two_subjects()
    les = pd.concat([les, les.iloc[[4]]], ignore_index=True)  # row 6 repeats row 4
    with pytest.raises(DataError, match=r"row 6, column 'lesion_id'"):
        evaluate(les)


def test_lesion_changing_role_is_rejected():
    les = _two_subjects()
    les.loc[5, "role"] = "NON-TARGET"
    with pytest.raises(DataError, match=r"column 'role'.*changes role"):
        evaluate(les)


def test_order_and_normalised_roles():
    r = evaluate(_two_subjects())
    assert list(r.best_response["subject_id"]) == ["B", "A"]
    assert list(r.timepoints["subject_id"]) == ["B", "B", "A", "A"]
    assert list(r.timepoints["tp"]) == [1, 2, 1, 2]
    # 20 / 30 - 1 = -33.33 % <= -30 %: PR at both visits (19.5 mm is -35 %)
    assert list(r.timepoints["target"]) == ["PR", "PR", "PR", "PR"]
    assert r.timepoints["reason"].str.startswith("PR: targets PR: sum 20 mm is -33.33%").sum() == 2


def test_nullable_integer_assessment_days_give_no_pandas_warning():
    les = _two_subjects()
    asm = pd.DataFrame({"subject_id": ["A", "A", "A", "A", "B", "B", "B"],
                        "tp": [0, 1, 2, 3, 0, 1, 2],
                        "day": pd.array([-7, 42, 84, None, -7, 42, 84], dtype="Int64"),
                        "performed": [True, True, True, False, True, True, True]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = evaluate(les, assessments=asm)
    a = r.timepoints[r.timepoints["subject_id"] == "A"]
    assert list(a["tp"]) == [1, 2, 3]
    assert a["overall"].iloc[2] == "NE" and a["reason"].iloc[2].startswith(
        "NE: assessment not performed")


def test_subset_of_subjects_routed_to_reference_keeps_order():
    # an equivocal new lesion sends subject P1 to the reference engine; the frames still
    # follow the subject order of the input and match an all-reference evaluation exactly
    c = generate_cohort(30, np.random.default_rng(3), visits=3)
    les = c["lesions"]
    day = les.loc[(les["subject_id"] == "P1") & (les["tp"] == 2), "day"].iloc[0]
    extra = pd.DataFrame({"subject_id": ["P1"], "tp": [2], "day": [day], "lesion_id": ["NLX"],
                          "role": ["NEW"], "organ": ["brain"], "state": ["EQUIVOCAL"]})
    les = pd.concat([les, extra], ignore_index=True)
    kw = {"assessments": c["assessments"], "subjects": c["subjects"]}
    auto = evaluate(les, **kw)
    assert auto.engine["P1"] == "reference" and auto.engine["P0"] == "vectorized"
    ref = evaluate(les, engine="reference", **kw)
    for name in ("timepoints", "best_response", "pfs"):
        pd.testing.assert_frame_equal(getattr(auto, name), getattr(ref, name))
