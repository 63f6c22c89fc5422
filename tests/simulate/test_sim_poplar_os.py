"""The frozen nsclc_docetaxel preset against patient-level POPLAR docetaxel (n = 143): response
split, PFS and OS curves, OS by best response and by ECOG.

The virtual arm (4,000 patients, seed 1: not the calibration seed 2024) is the model's expectation
up to a binomial SE of <= 0.008; the real figures carry the sampling error of 143 patients. Each
virtual figure must lie inside the real arm's 95% CI: Clopper–Pearson for fractions, pointwise
Greenwood (plain) for Kaplan–Meier points.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest

from oncodyn.patients.calibrate_os import (
    CODES5,
    GROUP_DAYS,
    OS_DAYS,
    PFS_DAYS,
    distance_terms,
    poplar_cox_baseline,
    poplar_distance,
    poplar_os_targets,
    virtual_figures,
)
from oncodyn.scenarios import load_scenario
from oncodyn.simulate import simulate
from oncodyn.survival import clopper_pearson_ci

Z = NormalDist().inv_cdf(0.975)


@pytest.fixture(scope="module")
def poplar(shared_file):
    return shared_file("data/trials/POPLAR_Clinical_Data.csv")


@pytest.fixture(scope="module")
def real(poplar):
    return poplar_os_targets(poplar)


@pytest.fixture(scope="module")
def virtual():
    return virtual_figures(simulate("nsclc_docetaxel", n_patients=4000, seed=1, keep="summary"))


@pytest.mark.parametrize("code", [*CODES5, "ORR"])
def test_response_fractions_inside_real_ci(real, virtual, code):
    n = int(real["n"])
    lo, hi = clopper_pearson_ci(round(float(real[code]) * n), n)
    assert lo <= float(virtual[code]) <= hi, (code, float(virtual[code]), lo, hi)


@pytest.mark.parametrize("key,days", [("pfs", PFS_DAYS), ("os", OS_DAYS), ("os_PR", GROUP_DAYS),
                                      ("os_SD", GROUP_DAYS), ("os_PD", GROUP_DAYS),
                                      ("os_ecog0", GROUP_DAYS), ("os_ecog1", GROUP_DAYS)])
def test_survival_curves_inside_real_pointwise_ci(real, virtual, key, days):
    s, se = np.asarray(real[key]), np.asarray(real[key + "_se"])
    v = np.asarray(virtual[key])
    lo, hi = s - Z * se, s + Z * se
    # no death yet in the real group (S = 1, Greenwood SE 0): the Greenwood interval collapses to
    # a point; use the exact binomial (Clopper–Pearson) lower bound for n of n alive instead
    n_group = int(real[key + "_n"]) if key + "_n" in real else int(real["n"])
    lo = np.where((s == 1.0) & (se == 0.0), clopper_pearson_ci(n_group, n_group)[0], lo)
    inside = (lo - 1e-9 <= v) & (v <= hi + 1e-9)
    assert inside.all(), (key, np.round(days, 0), v.round(3), lo.round(3), hi.round(3))


def test_distance_of_a_new_seed_is_below_one_se_squared_per_term(real, virtual):
    # each term is (virtual - real)^2 / SE_real^2: a model whose expectation equals the real
    # figures gives ~ n_real / n_virtual per term; a mean over all terms above 1 would mean the
    # preset misses POPLAR by more than its sampling error on average
    n_terms = 6 + len(PFS_DAYS) + len(OS_DAYS) + 5 * len(GROUP_DAYS)
    assert poplar_distance(virtual, real) < n_terms
    assert all(np.isfinite(v) for v in distance_terms(virtual, real).values())


def test_preset_baseline_hazard_ratios_are_the_poplar_cox_estimates(poplar):
    # metastatic sites, baseline SLD and histology: frozen from the Cox model on the same arm
    cox = poplar_cox_baseline(poplar)
    sc = load_scenario("nsclc_docetaxel")
    assert sc.survival.sites_log_hr == pytest.approx(cox["sites"][0], abs=5e-5)
    assert sc.survival.sld_log_hr == pytest.approx(cox["log_sld"][0], abs=5e-5)
    hist = next(c for c in sc.covariates if c.name == "histology")
    assert np.log(hist.effects["hazard"][1]) == pytest.approx(cox["squamous"][0], abs=5e-4)


def test_calibration_pipeline_never_worsens_and_is_deterministic(poplar):
    # a short run on a small arm: Nelder–Mead keeps its best vertex (the start is one), and the
    # returned scenario reproduces the returned distance (common random numbers, seeded)
    from oncodyn.patients.calibrate_os import OS_PARAMETERS, calibrate_poplar_os

    out = calibrate_poplar_os(poplar, n_virtual=300, seed=3, maxfev=15, restarts=0)
    assert out["distance"] <= out["start_distance"] + 1e-12
    assert set(out["values"]) == {k for k, *_ in OS_PARAMETERS}
    assert set(out["at_bound"]) <= set(out["values"])
    again = virtual_figures(simulate(out["scenario"], n_patients=300, seed=3, keep="summary"))
    assert poplar_distance(again, out["targets"]) == pytest.approx(out["distance"])
