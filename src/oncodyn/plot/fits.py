"""Plots of calibrated series and forecast comparisons (matplotlib imported lazily)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(5, 3.5))
    return ax


def fit_panel(t: np.ndarray, y: np.ndarray, curves: Mapping[str, tuple[np.ndarray, np.ndarray]], *,
              n_fit: int | None = None, ax: Any = None, title: str | None = None,
              ylabel: str = "size", xlabel: str = "time (days)",
              labels: tuple[str, str] = ("calibration data", "held out")) -> Any:
    """One series: observed points, fitted curves, and the fit/hold-out split.

    ``curves`` maps a label to ``(t_grid, prediction)``; ``n_fit`` marks how many leading points
    were used for calibration (filled, ``gid="points:fit"``); the rest are drawn hollow, as
    hold-out (``gid="points:held_out"``). ``labels``: legend texts of the two kinds of point.
    """
    ax = _axes(ax)
    t = np.asarray(t, float)
    y = np.asarray(y, float)
    k = len(t) if n_fit is None else int(n_fit)
    styles = ("-", "--", ":", "-.")
    for j, (label, (tg, pred)) in enumerate(curves.items()):
        ax.plot(tg, pred, lw=1.8, ls=styles[j % len(styles)], label=label)
    ax.plot(t[:k], y[:k], "o", color="black", ms=5, label=labels[0], zorder=3, gid="points:fit")
    if k < len(t):
        ax.plot(t[k:], y[k:], "o", mfc="white", mec="black", ms=6, label=labels[1], zorder=3,
                gid="points:held_out")
        ax.axvline(0.5 * (t[k - 1] + t[k]), color="grey", ls=":", lw=1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def forecast_errors(names: Sequence[str], mean: Sequence[float], lo: Sequence[float] | None = None,
                    hi: Sequence[float] | None = None, *, reference: str | None = "locf",
                    ax: Any = None, xlabel: str = "mean absolute error on held-out scans") -> Any:
    """Horizontal bars of mean hold-out error per method, with optional CIs; the reference bar
    (LOCF by default) is drawn in grey and as a dashed line so every method reads against it."""
    ax = _axes(ax)
    names = list(names)
    mean = np.asarray(mean, float)
    order = np.argsort(mean)[::-1]
    colors = ["0.6" if names[i] == reference else "tab:blue" for i in order]
    ypos = np.arange(len(names))
    err = None
    if lo is not None and hi is not None:
        lo_a, hi_a = np.asarray(lo, float), np.asarray(hi, float)
        err = np.vstack([mean[order] - lo_a[order], hi_a[order] - mean[order]])
    ax.barh(ypos, mean[order], xerr=err, color=colors, capsize=3)
    ax.set_yticks(ypos, [names[i] for i in order])
    if reference in names:
        ax.axvline(mean[names.index(reference)], color="0.3", ls="--", lw=1)
    ax.set_xlabel(xlabel)
    return ax
