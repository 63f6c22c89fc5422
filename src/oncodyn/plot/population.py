"""Population-fit diagnostics drawn (numbers from :mod:`oncodyn.population.diagnostics`).

Every function takes ``ax=None`` (a new figure when omitted) and returns the Axes; matplotlib
is imported inside (see :mod:`oncodyn.plot`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .fits import _axes


def vpc(result: Any, *, ax: Any = None, log: bool = False, ylabel: str = "size (mm), "
        "prediction-corrected", xlabel: str = "time (days)") -> Any:
    """Prediction-corrected VPC: observed percentiles (points and lines) over the simulated
    95% intervals of the same percentiles (bands) and their medians (dashed)."""
    ax = _axes(ax)
    x = result.centers
    colors = ("tab:blue", "tab:red", "tab:blue")
    for j, q in enumerate(result.percentiles):
        c = colors[j % len(colors)]
        ax.fill_between(x, result.sim_lo[:, j], result.sim_hi[:, j], color=c, alpha=0.18,
                        lw=0, label=f"simulated P{q:g} (95% interval)")
        ax.plot(x, result.sim_mid[:, j], ls="--", color=c, lw=1)
        ax.plot(x, result.observed[:, j], "o-", color=c, ms=4, lw=1.4,
                label=f"observed P{q:g}")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"pcVPC ({result.n_rep} replicates; {result.outside()} of "
                 f"{int(np.isfinite(result.observed).sum())} observed percentiles outside)",
                 fontsize=9)
    ax.legend(fontsize=7, loc="best")
    return ax


def obs_vs_pred(table: Any, *, which: str = "ipred", ax: Any = None) -> Any:
    """Observed against PRED or IPRED (log-log axes, identity line); censored readings drawn
    as open triangles at the limit they are below."""
    if which not in ("pred", "ipred"):
        raise ValueError(f"which must be 'pred' or 'ipred', got {which!r}")
    ax = _axes(ax)
    cens = np.asarray(table["censored"], bool)
    pred = np.asarray(table[which], float)
    obs = np.asarray(table["observed"], float)
    ok = ~cens & (obs > 0) & (pred > 0)
    ax.plot(pred[ok], obs[ok], ".", ms=3, alpha=0.5, color="tab:blue", label="observed")
    if cens.any():
        ax.plot(pred[cens & (pred > 0)], np.full(int((cens & (pred > 0)).sum()),
                np.nanmin(obs[ok]) if ok.any() else 1.0), "v", mfc="none", ms=4,
                color="tab:red", label="censored (below limit)")
    lim = [np.nanmin(np.r_[pred[ok], obs[ok]]), np.nanmax(np.r_[pred[ok], obs[ok]])]
    ax.plot(lim, lim, color="black", lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("population prediction (PRED)" if which == "pred"
                  else "individual prediction (IPRED)")
    ax.set_ylabel("observed")
    ax.legend(fontsize=7)
    return ax


def npde_vs_time(table: Any, *, ax: Any = None, xlabel: str = "time (days)") -> Any:
    """NPDE against time with the N(0, 1) reference lines at 0 and +-1.96, and a running
    median (in 10 equal-count time bins)."""
    ax = _axes(ax)
    t = np.asarray(table["time"], float)
    z = np.asarray(table["npde"], float)
    ok = np.isfinite(z)
    ax.plot(t[ok], z[ok], ".", ms=3, alpha=0.5, color="tab:blue")
    for v, ls in ((0.0, "-"), (1.96, "--"), (-1.96, "--")):
        ax.axhline(v, color="black", ls=ls, lw=1)
    if ok.sum() >= 20:
        edges = np.unique(np.quantile(t[ok], np.linspace(0, 1, 11)))
        idx = np.clip(np.searchsorted(edges, t[ok], side="right") - 1, 0, len(edges) - 2)
        centers = [np.median(t[ok][idx == k]) for k in range(len(edges) - 1) if np.any(idx == k)]
        meds = [np.median(z[ok][idx == k]) for k in range(len(edges) - 1) if np.any(idx == k)]
        ax.plot(centers, meds, "-", color="tab:red", lw=1.6, label="running median")
        ax.legend(fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("NPDE")
    return ax


def individual_fit(fit: Any, batch: Any, index: int, *, ax: Any = None,
                   n_grid: int = 100) -> Any:
    """One series: readings (censored as open triangles at the limit), the individual curve
    (EBE) and the population curve (typical values with the series' covariates)."""
    from ..population._mcmc import predict

    ax = _axes(ax)
    n = int(batch.n[index])
    t = batch.t[index, :n]
    y = batch.y[index, :n]
    lim = -np.inf if fit.lloq is None else float(np.max(np.broadcast_to(fit.lloq, (1,))))
    cens = y < lim
    lo, hi = (float(np.nanmin(t)), float(np.nanmax(t))) if n else (0.0, 1.0)
    grid = np.linspace(min(lo, 0.0), hi + 0.1 * (hi - lo + 1), n_grid)[None]
    u = fit.exposure if fit.exposure is None or np.ndim(fit.exposure) == 0 else \
        np.asarray(fit.exposure)[index:index + 1]
    from ..inference import _transform as tr

    ebe = tr.to_unconstrained(fit.model, fit.ebe[index:index + 1])
    ax.plot(grid[0], predict(fit.model, ebe, grid, u)[0], "-", color="tab:blue",
            label="individual (EBE)")
    ax.plot(grid[0], predict(fit.model, fit.typical[index:index + 1], grid, u)[0], "--",
            color="0.4", label="population (typical)")
    ax.plot(t[~cens], y[~cens], "o", color="black", ms=4, label="observed")
    if cens.any():
        ax.plot(t[cens], np.full(int(cens.sum()), lim), "v", mfc="none", color="tab:red",
                ms=5, label=f"below {lim:g}")
    ax.set_title(str(batch.ids[index]), fontsize=8)
    ax.set_xlabel("time (days)")
    ax.set_ylabel("size")
    return ax


def individual_fits(fit: Any, batch: Any, indices: Sequence[int], *, ncols: int = 4) -> Any:
    """A grid of :func:`individual_fit` panels; returns the array of Axes."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    nrows = int(np.ceil(len(indices) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3 * ncols, 2.4 * nrows), squeeze=False)
    for ax, i in zip(axes.ravel(), indices, strict=False):
        individual_fit(fit, batch, int(i), ax=ax)
    for ax in axes.ravel()[len(indices):]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=6)
    fig.tight_layout()
    return axes


def saem_trace(fit: Any, *, ax: Any = None) -> Any:
    """SAEM convergence: each typical value relative to its final estimate, per iteration,
    with the end of the exploration phase marked."""
    ax = _axes(ax)
    tr = fit.trace
    for k, nm in enumerate(fit.param_names):
        ax.plot(tr.theta[:, k] / tr.theta[-1, k], lw=1, label=nm)
    ax.axvline(tr.k1, color="0.5", ls=":", lw=1)
    ax.set_xlabel("SAEM iteration")
    ax.set_ylabel("typical value / final")
    ax.legend(fontsize=7)
    return ax
