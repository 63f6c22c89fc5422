"""Kaplan–Meier plot of a simulated cohort: one curve per group, numbers at risk under the axes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncodyn.errors import ConfigError
from oncodyn.plot.survival import km_plot


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 120
    t = rng.exponential(300.0, n)
    return pd.DataFrame({"os_days": np.minimum(t, 700.0), "os_event": t < 700.0,
                         "pfs_days": np.minimum(t / 2, 700.0), "pfs_event": t / 2 < 700.0,
                         "ecog": np.where(np.arange(n) < 40, "0", "1")})


def test_one_curve_per_group_and_at_risk_counts():
    df = _frame()
    ax = km_plot(df, endpoint="os", by="ecog")
    assert len(ax.get_legend().get_texts()) == 2
    texts = [t.get_text() for t in ax.texts]
    # at day 0 everybody is at risk: the group sizes appear in the at-risk table
    assert "40" in texts and "80" in texts
    # at 6 months: the patients with os_days >= 6 months, per group
    six = 6 * 365.25 / 12
    for g in ("0", "1"):
        assert str(int((df.os_days[df.ecog == g] >= six).sum())) in texts
    curve = ax.get_lines()[0]
    assert curve.get_ydata()[0] == 1.0 and np.all(np.diff(curve.get_ydata()) <= 0)


def test_bad_endpoint_or_column_is_a_config_error():
    with pytest.raises(ConfigError, match="endpoint"):
        km_plot(_frame(), endpoint="dfs")
    with pytest.raises(ConfigError, match="histology"):
        km_plot(_frame(), endpoint="pfs", by="histology")
