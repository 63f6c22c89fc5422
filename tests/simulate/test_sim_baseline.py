"""Real baseline covariates: whole POPLAR rows resampled; lesions consistent with the sampled SLD."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncodyn.errors import ConfigError, DataError
from oncodyn.patients.baseline import load_baseline_pool, pool_for
from oncodyn.patients.config import scenario_from_dict
from oncodyn.scenarios import load_scenario
from oncodyn.simulate import simulate


@pytest.fixture(scope="module")
def poplar(shared_file):
    return shared_file("data/trials/POPLAR_Clinical_Data.csv")


@pytest.fixture(scope="module")
def arm(poplar):
    return simulate("nsclc_docetaxel", n_patients=4000, seed=8, keep="summary")


def test_pool_has_both_arms_and_reports_no_drop(poplar):
    pool = load_baseline_pool(str(poplar), ("Docetaxel", "MPDL3280A"))
    assert pool.n == 287 and pool.dropped == ()
    assert load_baseline_pool(str(poplar), ("Docetaxel",)).n == 143


def test_incomplete_rows_are_dropped_and_reported(poplar, tmp_path):
    df = pd.read_csv(poplar, dtype=str, keep_default_na=False)
    df.loc[3, "blSLD"] = "."
    df.loc[7, "ECOGGR"] = ""
    bad = tmp_path / "poplar_bad.csv"
    df.to_csv(bad, index=False)
    pool = load_baseline_pool(str(bad), ("Docetaxel", "MPDL3280A"))
    assert pool.n == 285
    assert {(line, col) for line, col, _ in pool.dropped} == {(5, "blSLD"), (9, "ECOGGR")}
    df.drop(columns=["METSITES"]).to_csv(bad, index=False)
    with pytest.raises(DataError, match="METSITES"):
        load_baseline_pool(str(bad), ("Docetaxel",))


def test_missing_required_baseline_file_is_a_config_error_else_a_warned_fallback():
    from oncodyn.patients.baseline import BaselineFallbackWarning

    d = load_scenario("nsclc_docetaxel").model_dump()
    d["baseline"]["file"] = "no_such_poplar_file.csv"
    with pytest.warns(BaselineFallbackWarning, match="no_such_poplar_file.csv"):
        res = simulate(scenario_from_dict(d), n_patients=5, seed=0)
    assert res.baseline_source.startswith("parametric")
    d["baseline"]["required"] = True
    with pytest.raises(ConfigError, match="no_such_poplar_file.csv"):
        simulate(scenario_from_dict(d), n_patients=5, seed=0)


def test_rows_are_resampled_jointly(arm):
    pool = pool_for(arm.scenario)
    rows = arm.baseline_row
    assert rows.min() >= 0 and rows.max() < pool.n
    pf = arm.patients_frame()
    # every virtual patient carries one real row: SLD, sites, ECOG and histology of the same row
    assert np.allclose(arm.sld0, pool.sld_mm[rows], rtol=1e-6)
    assert np.array_equal(arm.sites, pool.metastatic_sites[rows])
    assert (pf.ecog.to_numpy() == pool.ecog[rows]).all()
    assert (pf.histology.to_numpy() == pool.histology[rows]).all()
    assert (pf.sex.to_numpy() == pool.sex[rows]).all() and np.array_equal(pf.age, pool.age[rows])
    # uniform resampling: each ECOG level in the pool's proportion (binomial, 4 SE)
    p = np.mean(pool.ecog == "1")
    assert abs(np.mean(pf.ecog == "1") - p) < 4 * np.sqrt(p * (1 - p) / arm.n)
    s = arm.summary()
    assert (s["baseline_source"], s["baseline_rows"], s["baseline_rows_dropped"]) == ("poplar", 287, [])
    # one visible lesion per metastatic site (max_lesions 6)
    assert np.array_equal(arm.n_lesions, np.clip(pool.metastatic_sites[rows], 1, 6))


def test_measured_baseline_sum_matches_sampled_sld(arm):
    # the targets are built to sum to the row's SLD; the simulator's RECIST reads them with
    # CV 6% + 1.7 mm per lesion, so the measured baseline sum scatters by ~5% around the SLD.
    # A target read below 10 mm (15 mm nodes) drops out, rarely. Median ratio within 2%, and
    # 80% of patients within +-15% (about 3 SD of the sum's measurement error)
    has = arm.n_targets > 0
    ratio = arm.base_sod[has] / arm.sld0[has]
    assert abs(np.median(ratio) - 1.0) < 0.02
    assert np.mean(np.abs(ratio - 1.0) < 0.15) > 0.80
    assert has.mean() > 0.97
