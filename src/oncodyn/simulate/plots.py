"""Tumour burden over time with treatment bands (matplotlib imported lazily; "Agg" backend).

This is the simulator's own figure; the RECIST figures (spider, waterfall, swimmer) come from
:mod:`oncodyn.plot`. (To move into ``oncodyn.plot`` when that package takes simulator results.)
"""

from __future__ import annotations

from typing import Any

import numpy as np


def burden_plot(result: Any, *, n_show: int = 30, ax: Any = None) -> Any:
    """Sum of true lesion diameters (mm) over time for the first ``n_show`` patients, with the
    cohort median, and shaded bands where patient 0 is on line 1 / line 2 / paused.

    Parameters
    ----------
    result : SimulationResult kept with ``keep="trajectories"`` or ``"all"``
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if result.burden is None:
        raise ValueError("trajectories were not kept")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    grid = result.grid / 7.0
    for i in range(min(n_show, result.n)):
        ax.plot(grid, result.burden[i], color="0.6", lw=0.7, alpha=0.7)
    ax.plot(grid, np.median(result.burden, axis=0), color="k", lw=2, label="cohort median")
    colors = {1: ("tab:blue", "line 1"), 2: ("tab:purple", "line 2"), 3: ("tab:orange", "paused")}
    st = result.state[0]
    seen: set[int] = set()
    for k in range(len(grid) - 1):
        if st[k] in colors:
            c, lab = colors[int(st[k])]
            ax.axvspan(grid[k], grid[k + 1], color=c, alpha=0.12, lw=0,
                       label=None if st[k] in seen else f"patient 0: {lab}")
            seen.add(int(st[k]))
    ax.plot(grid, result.burden[0], color="tab:red", lw=1.5, label="patient 0")
    for d in result.scan_days:
        ax.axvline(d / 7.0, color="0.85", lw=0.5, zorder=0)
    ax.set_xlabel("week")
    ax.set_ylabel("sum of lesion diameters (mm, true)")
    ax.set_title(f"{result.scenario.name}: tumour burden (grey: {min(n_show, result.n)} patients)")
    ax.legend(fontsize="small", loc="upper left")
    return ax
