"""POPLAR calibration check: a virtual docetaxel arm lies within the real arm's 95% CIs.

Real-arm CIs are computed here from the CSV: Clopper–Pearson for the best-confirmed-response
fractions (BCOR missing counted as NE, as in the calibration), Kaplan–Meier with the
Brookmeyer–Crowley interval for median PFS.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncodyn.simulate import simulate
from oncodyn.survival import clopper_pearson_ci, median_ci, wilson_ci

DPM = 365.25 / 12


@pytest.fixture(scope="module")
def real(shared_file):
    df = pd.read_csv(shared_file("data/trials/POPLAR_Clinical_Data.csv"), na_values=".")
    arm = df[df.TRT01P == "Docetaxel"]
    n = len(arm)
    bcor = arm.BCOR.fillna("NE")
    out = {"n": n}
    for c in ("PR", "SD", "PD", "NE"):
        out[c] = clopper_pearson_ci(int((bcor == c).sum()), n)
    out["ORR"] = clopper_pearson_ci(int(bcor.isin(["CR", "PR"]).sum()), n)
    m = median_ci(arm.PFS.to_numpy(float) * DPM, arm["PFS.CNSR"].to_numpy() == 0)
    out["mPFS"] = (m.lower, m.upper)
    return out


def test_real_arm_figures(real):
    # the arm's published figures: n 143, ORR 21/143 = 14.7%, median PFS 3.4 months
    assert real["n"] == 143
    assert real["ORR"][0] < 21 / 143 < real["ORR"][1]
    assert real["mPFS"][0] < 3.4 * DPM < real["mPFS"][1]
    lo, hi = wilson_ci(21, 143)
    assert lo == pytest.approx(0.0982, abs=5e-4) and hi == pytest.approx(0.2143, abs=5e-4)  # Wilson by hand


@pytest.mark.parametrize("n,seed", [(143, 7), (4000, 1)])
def test_virtual_arm_within_real_cis(real, n, seed):
    s = simulate("nsclc_docetaxel", n_patients=n, seed=seed, keep="summary").summary()
    f = s["best_response_fractions"]
    checks = {"ORR": f["CR"] + f["PR"], "SD": f["SD"], "PD": f["PD"], "NE": f["NE"]}
    for k, v in checks.items():
        assert real[k][0] <= v <= real[k][1], (k, v, real[k])


@pytest.mark.xfail(strict=True, reason="known gap: virtual median PFS sits at the second scan "
                   "(80-85 d) vs the real 95% CI [84, 125] d; PD events cluster at the q6w scan days "
                   "(+-7 d window) while the real arm's events are spread (see issue note)")
@pytest.mark.parametrize("n,seed", [(143, 7), (4000, 1)])
def test_virtual_median_pfs_within_real_ci(real, n, seed):
    s = simulate("nsclc_docetaxel", n_patients=n, seed=seed, keep="summary").summary()
    assert real["mPFS"][0] - 1e-9 <= s["median_pfs_days"] <= real["mPFS"][1] + 1e-9, (s["median_pfs_days"], real["mPFS"])
