"""Individual-fit panels: observed points and fitted curve per series (matplotlib imported lazily).

Used by ``oncodyn fit``; a cohort of many series is shown by a stated, deterministic selection
(evenly spaced through the series order) and the figure says how many of how many are shown.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def panel_selection(n_series: int, max_panels: int) -> np.ndarray:
    """Indices of at most ``max_panels`` series, evenly spaced through ``range(n_series)``."""
    if n_series <= max_panels:
        return np.arange(n_series)
    return np.unique(np.linspace(0, n_series - 1, max_panels).round().astype(int))


def short_label(text: str, width: int = 26) -> str:
    """``text`` cut in the middle to ``width`` characters (long hashed ids stay readable)."""
    if len(text) <= width:
        return text
    half = (width - 1) // 2
    return text[:half] + "…" + text[-(width - 1 - half):]


def fit_panel(t: np.ndarray, y: np.ndarray, t_grid: np.ndarray, pred: np.ndarray, *,
              ax: Any = None, title: str | None = None, status: str = "",
              xlabel: str = "time (days)", ylabel: str = "size") -> Any:
    """One series: observed points (all used for the fit), the fitted curve, and its status."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(3, 2.4))
    ax.plot(t_grid, pred, lw=1.5, color="tab:blue", label="fit")
    ax.plot(t, y, "o", color="black", ms=3.5, label="observed (all used for the fit)")
    if title:
        ax.set_title(short_label(title), fontsize=7)
    if status and status != "converged":
        ax.text(0.02, 0.96, status.replace("_", " "), transform=ax.transAxes, fontsize=7,
                va="top", color="tab:red", bbox={"fc": "white", "ec": "none", "alpha": 0.7})
    ax.set_xlabel(xlabel, fontsize=7)
    ax.set_ylabel(ylabel, fontsize=7)
    ax.tick_params(labelsize=6)
    return ax


def fit_panels(batch: Any, result: Any, *, max_panels: int = 24, labels: Any = None,
               ylabel: str = "size", n_grid: int = 100) -> Any:
    """A figure of :func:`fit_panel` for up to ``max_panels`` series of ``batch``/``result``.

    Returns the matplotlib Figure; its title says how many series are shown and how they were
    chosen when not all are.
    """
    import matplotlib.pyplot as plt

    idx = panel_selection(len(batch), max_panels)
    ncol = min(6, max(1, len(idx)))
    nrow = max(1, int(np.ceil(len(idx) / ncol)))
    fig, axes = plt.subplots(nrow, ncol, figsize=(2.6 * ncol, 2.2 * nrow), squeeze=False)
    tmin = np.nanmin(batch.t[idx], axis=1) if len(idx) else np.array([])
    tmax = np.nanmax(batch.t[idx], axis=1) if len(idx) else np.array([])
    grid = tmin[:, None] + (tmax - tmin)[:, None] * np.linspace(0, 1, n_grid)[None, :]
    full_grid = np.zeros((len(batch), n_grid))
    full_grid[idx] = grid
    with np.errstate(all="ignore"):
        pred = result.predict(full_grid)
    for k, ax in enumerate(axes.ravel()):
        if k >= len(idx):
            ax.set_visible(False)
            continue
        i = idx[k]
        n = int(batch.n[i])
        label = labels[i] if labels is not None else str(batch.ids[i])
        fit_panel(batch.t[i, :n], batch.y[i, :n], grid[k], pred[i], ax=ax, title=label,
                  status=result.status[i].value, ylabel=ylabel)
    shown = (f"all {len(batch)} series" if len(idx) == len(batch) else
             f"{len(idx)} of {len(batch)} series, evenly spaced through the series order")
    fig.suptitle(f"{result.model.name}: individual fits ({shown})", fontsize=9)
    fig.tight_layout()
    return fig
