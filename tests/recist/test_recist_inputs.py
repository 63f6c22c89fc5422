"""Bad input gives a DataError/ConfigError naming the row and column (or key)."""

from __future__ import annotations

import pandas as pd
import pytest

from oncodyn.errors import ConfigError, DataError
from oncodyn.recist import RecistOptions, evaluate


def _les(**change):
    rows = [{"subject_id": "S", "tp": 0, "day": -7, "lesion_id": "T1", "role": "TARGET",
             "organ": "liver", "nodal": False, "ld_mm": 30.0},
            {"subject_id": "S", "tp": 1, "day": 42, "lesion_id": "T1", "role": "TARGET",
             "organ": "liver", "nodal": False, "ld_mm": 20.0}]
    rows[1].update(change)
    return pd.DataFrame(rows)


def test_target_without_size_or_state():
    with pytest.raises(DataError, match=r"row 1, column 'ld_mm'"):
        evaluate(_les(ld_mm=None))


def test_unknown_role():
    with pytest.raises(DataError, match=r"row 1, column 'role'.*unknown role"):
        evaluate(_les(role="TARGETT"))


def test_nodal_target_without_short_axis():
    les = _les()
    les["nodal"] = True
    les.loc[0, "sa_mm"] = 20.0
    with pytest.raises(DataError, match=r"row 1, column 'sa_mm'"):
        evaluate(les)


def test_unknown_state_and_precision():
    with pytest.raises(DataError, match=r"column 'state'"):
        evaluate(_les(state="GONE"))
    with pytest.raises(DataError, match=r"row 1, column 'ld_mm'.*0.01 mm"):
        evaluate(_les(ld_mm=20.001))


def test_options_errors_name_key_and_values():
    with pytest.raises(ConfigError, match="unknown RECIST option 'min_sd_day'"):
        RecistOptions.from_dict({"min_sd_day": 42})
    with pytest.raises(ConfigError, match="'pr_continuation'.*'strict', 'faq'"):
        RecistOptions.from_dict({"pr_continuation": "loose"})


def test_exact_thresholds_c06_style():
    """R0.3: 23.0 -> 16.1 mm is exactly -30 % (PR); 26.0 -> 31.2 mm exactly +20 % and +5.2 mm
    (PD): the cases where naive floating-point percentages misclassify (RECIST.md R0.3)."""
    pr = evaluate(_les(ld_mm=16.1).assign(ld_mm=[23.0, 16.1])).timepoints
    assert pr["target"].iloc[0] == "PR"
    pdr = evaluate(_les().assign(ld_mm=[26.0, 31.2])).timepoints
    assert pdr["target"].iloc[0] == "PD"
