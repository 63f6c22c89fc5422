"""Plots of a virtual two-arm trial: Kaplan-Meier by arm with numbers at risk, HR forest.

Functions take tables and return the matplotlib Axes (matplotlib imported lazily). Research and
teaching software: these are simulated patients, not trial results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

DAYS_PER_MONTH = 365.25 / 12


def _axes(ax: Any, figsize: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize)
    return ax


def km_by_arm(patients: Any, *, endpoint: str = "pfs", arms: Sequence[str] | None = None,
              labels: Mapping[str, str] | None = None, ax: Any = None,
              step_months: float = 3.0) -> Any:
    """Kaplan-Meier curves of ``endpoint`` ("pfs" or "os") by arm, months on the x axis, with the
    numbers at risk under the axes at every ``step_months``.

    ``patients``: a frame with ``arm``, ``<endpoint>_days`` and ``<endpoint>_event`` (as written by
    ``oncodyn trial``). Estimates from :func:`oncodyn.survival.estimators.km_statsmodels`
    (statsmodels ``SurvfuncRight``, product-limit; Kaplan EL, Meier P (1958) JASA 53:457);
    censored times marked with "|".
    """
    from ..survival.estimators import km_statsmodels

    ax = _axes(ax, (6.5, 4.6))
    t_col, e_col = f"{endpoint}_days", f"{endpoint}_event"
    arms = list(arms) if arms is not None else list(dict.fromkeys(patients["arm"]))
    labels = dict(labels or {})
    t_max = float(patients[t_col].max()) / DAYS_PER_MONTH
    ticks = np.arange(0.0, t_max + 1e-9, step_months)
    if t_max - ticks[-1] > 0.5 * step_months:  # a last tick at the end of follow-up
        ticks = np.r_[ticks, ticks[-1] + step_months]
    at_risk: list[tuple[str, list[int]]] = []
    for arm in arms:
        g = patients[patients["arm"] == arm]
        t = g[t_col].to_numpy(float) / DAYS_PER_MONTH
        e = g[e_col].to_numpy(bool).astype(float)
        sf = km_statsmodels(t, e)
        x = np.r_[0.0, sf.surv_times]
        y = np.r_[1.0, sf.surv_prob]
        line = ax.step(x, y, where="post", lw=1.8, label=f"{labels.get(arm, arm)} (n={len(g)})")[0]
        cens = t[e == 0]
        if cens.size:
            idx = np.searchsorted(x, cens, side="right") - 1
            ax.plot(cens, y[idx], "|", color=line.get_color(), ms=6)
        at_risk.append((labels.get(arm, arm), [int((t >= s).sum()) for s in ticks]))
    ax.set_xlim(0, max(ticks[-1], t_max) if ticks.size > 1 else max(t_max, 1.0))
    ax.set_ylim(0, 1.02)
    ax.set_xticks(ticks)
    ax.set_xlabel("months since randomisation")
    ax.set_ylabel({"pfs": "progression-free survival", "os": "overall survival"}.get(endpoint, endpoint))
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    # numbers at risk: one row per arm below the x axis, in axes-fraction y, data x
    trans = ax.get_xaxis_transform()
    ax.text(-0.06, -0.2, "at risk", transform=ax.transAxes, ha="right", va="center", fontsize=8,
            fontweight="bold")
    for r, (name, counts) in enumerate(at_risk):
        y = -0.27 - 0.07 * r
        ax.text(-0.06, y, name, transform=ax.transAxes, ha="right", va="center", fontsize=8)
        for s, c in zip(ticks, counts, strict=True):
            ax.text(s, y, str(c), transform=trans, ha="center", va="center", fontsize=8)
    ax.figure.subplots_adjust(bottom=0.22 + 0.07 * len(at_risk), left=0.3)
    return ax


def hr_forest(rows: Sequence[Mapping[str, Any]], *, ax: Any = None,
              xlabel: str = "estimate (95% CI)") -> Any:
    """Forest plot: one row per comparison ``{"label", "estimate", "ci_low", "ci_high"}``
    (and optional ``"kind"``: "ratio" on a log axis, the default, with a line at 1).

    Rows with a non-finite estimate are listed as "not estimable".
    """
    ax = _axes(ax, (6.5, 0.6 + 0.45 * max(len(rows), 1)))
    n = len(rows)
    ys = np.arange(n)[::-1]
    for y, r in zip(ys, rows, strict=True):
        est, lo, hi = (float(r[k]) for k in ("estimate", "ci_low", "ci_high"))
        if np.isfinite(est) and np.isfinite(lo) and np.isfinite(hi):
            ax.plot([lo, hi], [y, y], color="black", lw=1.4)
            ax.plot([est], [y], "s", color="C0", ms=7)
            text = f"{est:.2f} ({lo:.2f} to {hi:.2f})"
        else:
            text = "not estimable"
        ax.text(1.02, y, text, transform=ax.get_yaxis_transform(), va="center", fontsize=8)
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator, ScalarFormatter

    ax.set_xscale("log")
    ax.axvline(1.0, color="grey", ls="--", lw=1)
    lim = [float(r[k]) for r in rows for k in ("ci_low", "ci_high") if np.isfinite(float(r[k]))]
    lo, hi = min([*lim, 0.8]), max([*lim, 1.25])
    ax.set_xlim(lo / 1.15, hi * 1.15)
    cand = np.array([0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0, 10.0])
    ax.xaxis.set_major_locator(FixedLocator(cand[(cand >= lo / 1.15) & (cand <= hi * 1.15)]))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(ys)
    ax.set_yticklabels([str(r["label"]) for r in rows], fontsize=9)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel(xlabel)
    ax.figure.subplots_adjust(left=0.35, right=0.72)
    return ax
