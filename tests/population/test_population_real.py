"""Population fits of real trial arms (Laleh 2022 lesion series: POPLAR and OAK).

Published estimates come from other populations (RECIST sums of diameters, other trials) and
this data set holds ONE lesion's diameter, so the tests do not ask for equality: they check that
(1) the two docetaxel arms, fitted separately, agree within their standard errors
(replication), (2) atezolizumab vs docetaxel in OAK reproduces the published direction (Claret
2018 Clin Cancer Res 24:3292: slower regrowth KG and less shrinkage with atezolizumab), and
(3) the published typical docetaxel patient (Struemper 2025) is a plausible patient of the
fitted population (inside its central 95%).
"""

from __future__ import annotations

import numpy as np
import pytest

from oncodyn.bench.popfit import LLOQ_MM, real_data
from oncodyn.population.published import CLARET2014, STRUEMPER_DOCETAXEL

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def laleh(shared_file):
    return shared_file("data/laleh2022/flat_patient_data.csv")


@pytest.fixture(scope="module")
def stein(laleh):
    return real_data(laleh, models=("stein_gd",), n_iter=(200, 100))


def test_every_arm_fits_with_finite_standard_errors(stein, laleh):
    import oncodyn.data as odata

    table = odata.read_tumorgrowth_flat(laleh).table
    for key, rec in stein["fits"].items():
        assert rec["status"] == "converged", (key, rec["messages"])
        assert all(np.isfinite(v) and v > 0 for v in rec["se_per_week"].values())
        arm = key.split(" | ")[0]
        study, arm_id = {"POPLAR docetaxel": ("2", "1"), "OAK docetaxel": ("4", "1"),
                         "OAK atezolizumab": ("4", "2")}[arm]
        sizes = table[(table.study == study) & (table.arm == arm_id)]["size"]
        # every reading is used, the ones below the limit as censored (nothing dropped)
        assert rec["n_obs"] == len(sizes)
        assert rec["n_censored"] == int((sizes < LLOQ_MM).sum())


def test_docetaxel_arms_of_two_trials_agree(stein):
    comp = stein["comparisons"]["stein_gd: OAK vs POPLAR docetaxel"]
    for name in ("y0", "g", "d"):
        assert abs(comp[name]["log_ratio"]) < 3 * comp[name]["se"], (name, comp[name])


def test_atezolizumab_regrows_slower_and_shrinks_less_than_docetaxel(stein):
    comp = stein["comparisons"]["stein_gd: OAK atezolizumab vs docetaxel"]
    assert comp["g"]["ci95"][1] < 1.0, comp["g"]
    assert comp["d"]["ci95"][1] < 1.0, comp["d"]


def test_published_docetaxel_typical_patient_is_inside_the_fitted_population(stein):
    for arm in ("POPLAR docetaxel", "OAK docetaxel"):
        rec = stein["fits"][f"{arm} | stein_gd"]
        for name in ("g", "d"):
            ours = np.log(rec["theta_per_week"][name])
            pub = np.log(STRUEMPER_DOCETAXEL.theta_per_week[name])
            assert abs(pub - ours) < 1.96 * np.sqrt(rec["omega"][name]), (arm, name)
        assert rec["published"][0]["source"] == STRUEMPER_DOCETAXEL.source


def test_claret_model_on_the_poplar_docetaxel_arm(laleh):
    res = real_data(laleh, models=("claret_ts",), arms=("POPLAR docetaxel",),
                    n_iter=(200, 100))
    rec = res["fits"]["POPLAR docetaxel | claret_ts"]
    assert rec["n_series"] == 75
    assert all(np.isfinite(v) for v in rec["se_per_week"].values())
    # the published Claret 2014 typical rates are plausible patients of the fitted population
    for name in ("kl", "kde", "lam"):
        ours = np.log(rec["theta_per_week"][name])
        pub = np.log(CLARET2014.theta_per_week[name])
        assert abs(pub - ours) < 1.96 * np.sqrt(rec["omega"][name]), name
