"""Trial figures: KM by arm with numbers at risk, HR forest."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd

from oncodyn.plot.trials import DAYS_PER_MONTH, hr_forest, km_by_arm


def _patients():
    rng = np.random.default_rng(0)
    n = 50
    t = np.r_[rng.exponential(200.0, n), rng.exponential(100.0, n)]
    return pd.DataFrame({"arm": ["exp"] * n + ["ctl"] * n, "os_days": t,
                         "os_event": rng.random(2 * n) < 0.8})


def test_km_by_arm_draws_one_curve_per_arm_and_the_numbers_at_risk():
    pats = _patients()
    ax = km_by_arm(pats, endpoint="os", arms=["exp", "ctl"], labels={"exp": "E", "ctl": "C"})
    assert len([ln for ln in ax.get_lines() if ln.get_linestyle() != "None"]) == 2
    texts = [t.get_text() for t in ax.texts]
    assert "at risk" in texts and "E" in texts and "C" in texts
    # the at-risk row of each arm: patients with time >= each tick (months)
    ticks = ax.get_xticks()
    for arm in ("exp", "ctl"):
        t = pats.loc[pats.arm == arm, "os_days"].to_numpy() / DAYS_PER_MONTH
        for s in ticks:
            assert str(int((t >= s).sum())) in texts
    # the curve starts at 1 and ends at the product-limit estimate of the last event
    y = [ln for ln in ax.get_lines() if ln.get_linestyle() != "None"][0].get_ydata()
    assert y[0] == 1.0 and 0.0 <= y[-1] < 1.0


def test_hr_forest_lists_estimates_and_unestimable_rows():
    rows = [{"label": "PFS", "estimate": 0.5, "ci_low": 0.4, "ci_high": 0.62},
            {"label": "OS", "estimate": float("nan"), "ci_low": float("nan"), "ci_high": float("nan")}]
    ax = hr_forest(rows)
    texts = [t.get_text() for t in ax.texts]
    assert "0.50 (0.40 to 0.62)" in texts and "not estimable" in texts
    assert [t.get_text() for t in ax.get_yticklabels()] == ["PFS", "OS"]
