"""RECIST 1.1 figures: spider, waterfall and swimmer plots.

The reference lines are the RECIST 1.1 thresholds (Eisenhauer et al., Eur J Cancer
2009;45:228-247, section 4.3.1): -30 % from baseline (partial response) and +20 % (progression,
which RECIST measures from the nadir and additionally needs +5 mm; the +20 % line on a
change-from-baseline axis is the customary visual guide only).

Inputs are the frames of :class:`oncodyn.recist.RecistResult` (``timepoints``,
``best_response``, ``pfs``). Colours are the Okabe-Ito colour-blind-safe palette (Okabe &
Ito 2008, "Color Universal Design"). Artists carry a ``gid`` so tests and callers can find them:
``"subject:<id>"`` (spider lines, swimmer bars), ``"ref:-30"``, ``"ref:20"``, ``"ref:0"``,
``"marker:response"``, ``"marker:progression"``, ``"marker:death"``, ``"marker:ongoing"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["BOR_COLORS", "MAX_SPIDER_LINES", "MAX_SWIMMER_LANES", "MAX_WATERFALL_BARS", "spider",
           "swimmer", "waterfall"]

#: Best-overall-response colours (Okabe-Ito palette).
BOR_COLORS: dict[str, str] = {
    "CR": "#0072B2", "PR": "#56B4E9", "SD": "#E69F00", "NON-CR/NON-PD": "#CC79A7",
    "PD": "#D55E00", "NE": "#999999",
}
_ORDER = ["CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE"]
PR_LINE = -30.0  #: RECIST 1.1 PR threshold, % change from baseline (section 4.3.1)
PD_LINE = 20.0  #: RECIST 1.1 PD threshold, % change (from nadir; visual guide here)
#: Most subjects drawn per figure; a larger cohort is shown through a random sample of this
#: many subjects, and the figure says so in its title (a 100,000-lane swimmer plot is not
#: readable: 0.32 inch per lane is 32,000 inches). Chosen for legibility (illustrative).
MAX_SPIDER_LINES = 200
MAX_WATERFALL_BARS = 1000
MAX_SWIMMER_LANES = 50


def _sample_ids(ids: Any, max_n: int | None, rng: Any) -> tuple[set[str] | None, str]:
    """At most ``max_n`` of the distinct ``ids`` drawn without replacement by ``rng`` (a numpy
    Generator; default ``default_rng(0)`` so a figure is the same from run to run); returns
    (the kept ids or None when all are kept, a title suffix saying what was drawn)."""
    import numpy as np
    import pandas as pd

    uniq = np.array(sorted(str(i) for i in pd.unique(np.asarray(ids, dtype=object))),
                    dtype=object)
    if max_n is None or uniq.size <= max_n:
        return None, ""
    if max_n < 1:
        raise ValueError(f"max_subjects must be >= 1, got {max_n}")
    rng = np.random.default_rng(0) if rng is None else rng
    kept = rng.choice(uniq, size=max_n, replace=False)
    return set(kept.tolist()), f"\nrandom sample of {max_n:,} of {uniq.size:,} subjects"


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "cairo"):
        import matplotlib.pyplot as plt

        if not plt.get_fignums():
            matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    return fig.add_subplot()


#: iRECIST codes drawn with the colour of their RECIST 1.1 counterpart (Seymour 2017).
_IRECIST = {"iCR": "CR", "iPR": "PR", "iSD": "SD", "NON-iCR/NON-iUPD": "NON-CR/NON-PD",
            "iUPD": "PD", "iCPD": "PD"}
_PD_CODES = ("PD", "iCPD")  #: overall responses drawn as progression
_RESP_CODES = ("CR", "PR", "iCR", "iPR")  #: overall responses drawn as response


def _cat(bor: Any) -> str:
    b = str(bor)
    return _IRECIST.get(b, b if b in BOR_COLORS else "NE")


def _color(bor: Any) -> str:
    return BOR_COLORS[_cat(bor)]


def _bor_map(best_response: pd.DataFrame | None) -> dict[str, str]:
    if best_response is None:
        return {}
    return dict(zip(best_response["subject_id"].astype(str),
                    best_response["bor"].astype(str), strict=True))


def _x_days(tps: pd.DataFrame) -> pd.Series:
    """Days since the reference date (the engine's ``day`` offset); from dates (days since the
    subject's first date) when ``day`` is absent."""
    import pandas as pd

    if "day" in tps.columns and tps["day"].notna().any():
        day = pd.to_numeric(tps["day"], errors="coerce")
        if day.notna().all() or "date" not in tps.columns:
            return day
    else:
        day = pd.Series(float("nan"), index=tps.index)
    d = pd.to_datetime(tps["date"], errors="coerce")
    first = d.groupby(tps["subject_id"]).transform("min")
    return day.fillna((d - first).dt.days)


def _threshold_handle() -> Any:
    from matplotlib.lines import Line2D

    return Line2D([], [], color="0.35", ls="--", lw=1, label="−30 % (PR) / +20 % (PD)")


def _legend(ax: Axes, cats: list[str], title: str, **kw: Any) -> None:
    from matplotlib.patches import Patch

    cats = {_cat(c) for c in cats}
    handles = [Patch(color=BOR_COLORS[c], label=c) for c in _ORDER if c in cats]
    handles.append(_threshold_handle())
    ax.legend(handles=handles, title=title, fontsize="small", title_fontsize="small",
              frameon=False, **kw)


def _ref_lines(ax: Axes) -> None:
    lo, hi = ax.get_ylim()
    ax.set_ylim(min(lo, PR_LINE - 10.0), max(hi, PD_LINE + 10.0))  # both lines always visible
    ax.axhline(PR_LINE, color="0.35", ls="--", lw=1, gid="ref:-30", zorder=1)
    ax.axhline(PD_LINE, color="0.35", ls="--", lw=1, gid="ref:20", zorder=1)
    ax.axhline(0.0, color="0.6", lw=0.8, gid="ref:0", zorder=1)


def spider(timepoints: pd.DataFrame, *, ax: Axes | None = None,
           best_response: pd.DataFrame | None = None, after_pd: bool = False,
           max_subjects: int | None = MAX_SPIDER_LINES, rng: Any = None,
           **style: Any) -> Axes:
    """Percentage change of the target sum from baseline over time, one line per subject.

    Parameters
    ----------
    timepoints
        ``RecistResult.timepoints`` (subject_id, tp, date/day, overall,
        pct_change_from_baseline). Time points without a % change (NE, incomplete sums) are
        skipped; subjects with no % change at all (no target lesions) draw no line.
    ax
        Axes to draw on; a new figure when None.
    best_response
        Optional ``RecistResult.best_response``: colour each line by the subject's BOR.
    after_pd
        Also draw time points after the first overall PD (default False: each line stops at
        the first PD, the usual convention).
    max_subjects
        Draw at most this many subjects (:data:`MAX_SPIDER_LINES`): a random sample (``rng``,
        a numpy Generator, default ``default_rng(0)``), stated in the title. None: all.
    rng
        Generator of the sample.
    **style
        Passed to ``Axes.plot`` (e.g. ``lw``, ``alpha``, ``color``).

    Returns
    -------
    matplotlib.axes.Axes
        Lines carry ``gid="subject:<id>"``; overall-PD points are marked with ``x``.
    """
    import pandas as pd

    ax = _axes(ax, (7.0, 4.5))
    kept, note = _sample_ids(timepoints["subject_id"], max_subjects, rng)
    tps = timepoints if kept is None else timepoints[
        timepoints["subject_id"].astype(str).isin(kept)]
    tps = tps.copy()
    tps["subject_id"] = tps["subject_id"].astype(str)
    tps["_x"] = _x_days(tps)
    tps = tps.sort_values(["subject_id", "tp"])
    bors = _bor_map(best_response)
    kw = {"lw": 1.4, "alpha": 0.9, "marker": "o", "ms": 3} | style
    drawn: set[str] = set()
    for sid, g in tps.groupby("subject_id", sort=True):
        pct = pd.to_numeric(g["pct_change_from_baseline"], errors="coerce")
        post = g[(g["tp"] > 0) & pct.notna()]
        is_pd = g["overall"].isin(_PD_CODES) if "overall" in g.columns else None
        if not after_pd and is_pd is not None and is_pd.any():
            post = post[post["tp"] <= g.loc[is_pd, "tp"].min()]
        if post.empty:
            continue
        base = g[g["tp"] == 0]
        x0 = float(base["_x"].iloc[0]) if len(base) and pd.notna(base["_x"].iloc[0]) else 0.0
        xs = [x0, *post["_x"].astype(float)]
        ys = [0.0, *pd.to_numeric(post["pct_change_from_baseline"]).astype(float)]
        color = style.get("color") or (_color(bors.get(sid)) if bors else None)
        line_kw = {k: v for k, v in kw.items() if k != "color"}
        (line,) = ax.plot(xs, ys, color=color, gid=f"subject:{sid}", **line_kw)
        drawn.add(bors.get(sid, "NE"))
        pd_pts = (post[post["overall"].isin(_PD_CODES)] if "overall" in post.columns
                  else post.iloc[:0])
        if len(pd_pts):
            ax.plot(pd_pts["_x"].astype(float),
                    pd.to_numeric(pd_pts["pct_change_from_baseline"]).astype(float),
                    ls="none", marker="x", ms=7, mew=1.8, color=line.get_color(),
                    gid="marker:progression")
    _ref_lines(ax)
    ax.set_xlabel("Days since reference date")
    ax.set_ylabel("Change in sum of diameters from baseline (%)")
    ax.set_title("Spider plot (× = overall PD)" + note)
    _legend(ax, sorted(drawn) if bors else [], "Best overall response" if bors else None,
            loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(axis="y", color="0.92")
    return ax


def waterfall(best_response: pd.DataFrame, *, ax: Axes | None = None,
              labels: bool | None = None, max_subjects: int | None = MAX_WATERFALL_BARS,
              rng: Any = None, **style: Any) -> Axes:
    """Best % change of the target sum per subject, sorted, bars coloured by BOR.

    Parameters
    ----------
    best_response
        ``RecistResult.best_response`` (subject_id, bor, best_pct_change). Subjects without a
        best % change (no target lesions, no evaluable follow-up) get no bar; their number is
        written on the plot.
    ax
        Axes to draw on; a new figure when None.
    labels
        Subject ids under the bars; default: when there are at most 40 bars.
    max_subjects, rng
        At most this many subjects (:data:`MAX_WATERFALL_BARS`), a random sample by ``rng``
        (default ``default_rng(0)``) stated in the title; None: all.
    **style
        Passed to ``Axes.bar`` (e.g. ``width``, ``edgecolor``).

    Returns
    -------
    matplotlib.axes.Axes
        One bar per subject with a value, in decreasing order; dashed lines at -30 % and +20 %.
    """
    import pandas as pd

    ax = _axes(ax, (7.0, 4.5))
    kept, note = _sample_ids(best_response["subject_id"], max_subjects, rng)
    br = best_response.copy()
    br["subject_id"] = br["subject_id"].astype(str)
    if kept is not None:
        br = br[br["subject_id"].isin(kept)]
    br["_v"] = pd.to_numeric(br["best_pct_change"], errors="coerce")
    shown = br[br["_v"].notna()].sort_values(["_v", "subject_id"], ascending=[False, True])
    n_missing = int(br["_v"].isna().sum())
    x = list(range(len(shown)))
    colors = [_color(b) for b in shown["bor"]]
    kw = {"width": 0.8, "edgecolor": "none"} | style
    ax.bar(x, shown["_v"].astype(float).tolist(), color=colors, gid="bars", **kw)
    _ref_lines(ax)
    if labels is None:
        labels = len(shown) <= 40
    if labels:
        ax.set_xticks(x, shown["subject_id"].tolist(), rotation=90, fontsize="x-small")
    else:  # no tick per bar (thousands of empty tick labels are slow to draw)
        ax.set_xticks([])
    ax.set_xlim(-0.8, max(len(shown), 1) - 0.2)
    ax.set_xlabel("Subject" + (f" ({n_missing} subject(s) without a % change not shown)"
                               if n_missing else ""))
    ax.set_ylabel("Best change in sum of diameters (%)")
    ax.set_title("Waterfall plot" + note)
    _legend(ax, shown["bor"].astype(str).unique().tolist(), "Best overall response",
            loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(axis="y", color="0.92")
    ax.set_axisbelow(True)
    return ax


def swimmer(timepoints: pd.DataFrame, best_response: pd.DataFrame, pfs: pd.DataFrame, *,
            ax: Axes | None = None, max_subjects: int | None = MAX_SWIMMER_LANES,
            rng: Any = None, **style: Any) -> Axes:
    """Time on study per subject with first response, progression, death and ongoing markers.

    Parameters
    ----------
    timepoints, best_response, pfs
        Frames of ``RecistResult``. The bar of a subject runs from day 0 to the later of its
        last assessment day and its PFS event/censoring day (``pfs.day``, else ``pfs.days``),
        coloured by BOR.
        Markers: first overall CR/PR (triangle), first overall PD (diamond), a PFS event that
        is not a documented PD, i.e. death (cross), and an arrow at the end of censored
        (ongoing) subjects.
    ax
        Axes to draw on; a new figure when None.
    max_subjects, rng
        At most this many lanes (:data:`MAX_SWIMMER_LANES`), a random sample of subjects by
        ``rng`` (default ``default_rng(0)``) stated in the title; None: every subject.
    **style
        Passed to ``Axes.barh`` (e.g. ``height``).

    Returns
    -------
    matplotlib.axes.Axes
        Bars carry ``gid="subject:<id>"``; longest bar on top.
    """
    import numpy as np
    import pandas as pd

    ids = np.concatenate([best_response["subject_id"].astype(str).to_numpy(dtype=object),
                          pfs["subject_id"].astype(str).to_numpy(dtype=object),
                          timepoints["subject_id"].astype(str).to_numpy(dtype=object)])
    kept, note = _sample_ids(ids, max_subjects, rng)

    def only(df: pd.DataFrame) -> pd.DataFrame:
        out = df.copy()
        out["subject_id"] = out["subject_id"].astype(str)
        return out if kept is None else out[out["subject_id"].isin(kept)]

    tps = only(timepoints)
    tps["_x"] = _x_days(tps)
    pf = only(pfs).set_index("subject_id")
    bors = _bor_map(only(best_response))
    tcol = "day" if "day" in pf.columns else "days"  # offset from the reference date
    subjects = sorted(set(bors) | set(pf.index) | set(tps["subject_id"]))
    by_subject = {sid: g for sid, g in tps[tps["tp"] > 0].groupby("subject_id", sort=False)}
    empty = tps.iloc[:0]
    rows = []
    for sid in subjects:
        g = by_subject.get(sid, empty).sort_values("tp")
        last = float(g["_x"].max()) if len(g) and g["_x"].notna().any() else 0.0
        days = (pd.to_numeric(pf[tcol].get(sid), errors="coerce") if sid in pf.index
                else None)
        end = max(last, float(days) if days is not None and pd.notna(days) else 0.0)
        resp = g[g["overall"].isin(_RESP_CODES)]
        prog = g[g["overall"].isin(_PD_CODES)]
        event = bool(pf["event"].get(sid)) if sid in pf.index else False
        rows.append({"sid": sid, "end": end, "bor": bors.get(sid, "NE"),
                     "resp": float(resp["_x"].iloc[0]) if len(resp) else None,
                     "prog": float(prog["_x"].iloc[0]) if len(prog) else None,
                     "death": float(days) if event and not len(prog) and days is not None
                     else None,
                     "ongoing": not event})
    rows.sort(key=lambda r: (r["end"], r["sid"]))
    ax = _axes(ax, (7.5, max(2.5, 0.32 * len(rows) + 1.3)))
    kw = {"height": 0.6} | style
    for i, r in enumerate(rows):
        ax.barh(i, r["end"], color=_color(r["bor"]), gid=f"subject:{r['sid']}", **kw)
    xmax = max([r["end"] for r in rows], default=1.0) or 1.0

    def mark(key: str, gid: str, label: str, **m: Any) -> None:
        pts = [(r[key], i) for i, r in enumerate(rows) if r[key] is not None]
        if pts:
            xs, ys = zip(*pts, strict=True)
            ax.scatter(xs, ys, gid=gid, label=label, zorder=3, **m)

    mark("resp", "marker:response", "First CR/PR", marker="^", s=46, color="black")
    mark("prog", "marker:progression", "First PD", marker="D", s=36, color="#D55E00",
         edgecolor="black", linewidths=0.6)
    mark("death", "marker:death", "Death (no PD)", marker="X", s=60, color="black")
    ongoing = [(r["end"], i) for i, r in enumerate(rows) if r["ongoing"]]
    if ongoing:
        xs, ys = zip(*ongoing, strict=True)
        ax.scatter([x + 0.012 * xmax for x in xs], ys, marker=">", s=44, color="0.2",
                   gid="marker:ongoing", label="Censored (ongoing)", zorder=3)
    ax.set_yticks(range(len(rows)), [r["sid"] for r in rows], fontsize="x-small")
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlim(0, xmax * 1.06)
    ax.set_xlabel("Days since reference date")
    ax.set_ylabel("Subject")
    ax.set_title("Swimmer plot" + note)
    from matplotlib.patches import Patch

    handles, _ = ax.get_legend_handles_labels()
    cats = {_cat(r["bor"]) for r in rows}
    handles += [Patch(color=BOR_COLORS[c], label=f"BOR {c}") for c in _ORDER if c in cats]
    ax.legend(handles=handles, fontsize="x-small", frameon=False, loc="upper left",
              bbox_to_anchor=(1.01, 1.0))
    ax.grid(axis="x", color="0.92")
    ax.set_axisbelow(True)
    return ax
