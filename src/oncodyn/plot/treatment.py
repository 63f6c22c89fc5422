"""Treatment-story figures: cohort bands, treatment bands, single-patient regrowth, lesion groups,
symptom components.

Inputs are plain arrays (days on the x axis, one row per patient or lesion), so the functions
work on any simulator output. Medians and inter-quartile ranges (25th-75th percentiles) are the
summaries. Colours follow the Okabe-Ito colour-blind-safe palette (Okabe & Ito 2008, "Color
Universal Design"). Every function takes ``ax=None`` (a new figure when omitted) and returns the
Axes; matplotlib is imported inside the functions ("Agg" backend).

:func:`burden_plot` (cohort burden under the share of patients on treatment and radiotherapy
courses) and :func:`cohort_symptoms` draw the figures of ``oncodyn simulate``;
:func:`simulation_figures` builds all of them from a ``SimulationResult`` (the only function
here that reads a simulator object rather than arrays).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["ARM_COLORS", "SYMPTOM_COMPONENTS", "burden_plot", "cohort_bands", "cohort_symptoms",
           "course_spans", "patient_regrowth", "plain_ticks", "radiotherapy_spans",
           "simulation_figures", "symptom_stack", "treatment_shading"]

#: Okabe-Ito colours used in turn for arms / components.
ARM_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(figsize=size, layout="constrained").add_subplot()


def plain_ticks(ax: Axes, *, log: bool = False, decimal: str = ".") -> Axes:
    """Tick labels as plain numbers (``0.5``, ``1``, ``2``; ``0,5`` with ``decimal=","``).

    On a log axis matplotlib writes minor ticks as "6×10⁰"; here every labelled tick is a plain
    number and minor ticks are labelled only at 2, 3 and 5 times a power of ten (and at 1.5
    within a single decade), so a short axis still reads.
    """
    from matplotlib.ticker import FuncFormatter

    def fmt(v: float, _: Any = None) -> str:
        return f"{v:g}".replace(".", decimal)

    ax.xaxis.set_major_formatter(FuncFormatter(fmt))
    ax.yaxis.set_major_formatter(FuncFormatter(fmt))
    if log:
        lo, hi = ax.get_ylim()
        keep = "1235" if hi / max(lo, 1e-300) > 10 else "12345"

        def minor(v: float, _: Any = None) -> str:
            return fmt(v) if f"{v:.0e}"[0] in keep else ""

        ax.yaxis.set_minor_formatter(FuncFormatter(minor))
    return ax


def _weeks(days: Any) -> np.ndarray:
    return np.asarray(days, dtype=float) / 7.0


def treatment_shading(days: Any, on: Any, *, ax: Axes, color: str = "0.5", max_alpha: float = 0.3,
                      label: str | None = "on treatment") -> Axes:
    """Shade the x intervals ``[day_k, day_k+1)`` with opacity proportional to ``on[k]``.

    ``on`` is a boolean per day (one patient) or a fraction in [0, 1] (share of a cohort on
    treatment), so a cohort band fades as patients stop. The x axis is in weeks.
    """
    x = _weeks(days)
    frac = np.clip(np.asarray(on, dtype=float), 0.0, 1.0)
    if frac.shape != x.shape:
        raise ValueError(f"on has shape {frac.shape}, days {x.shape}")
    step = np.diff(x).min() if x.size > 1 else 1.0
    first = True
    for k in range(x.size):
        if frac[k] <= 0:
            continue
        right = x[k + 1] if k + 1 < x.size else x[k] + step
        ax.axvspan(x[k], right, color=color, alpha=max_alpha * frac[k], lw=0, zorder=0,
                   label=label if first else None, gid="band:treatment")
        first = False
    return ax


def course_spans(spans: Sequence[tuple[float, float, str]], *, ax: Axes,
                 colors: Sequence[str] = ("#F0E442", "#CC79A7", "#56B4E9"),
                 hatches: Sequence[str] | None = None) -> Axes:
    """Shade treatment courses given as ``(start_day, end_day, label)`` (x axis in weeks).

    ``hatches``: optional hatch pattern per course (e.g. ``("///", "xx")``), drawn in the
    course colour so that courses stay distinguishable where they overlap other shading.
    """
    for i, (a, b, lab) in enumerate(spans):
        c = colors[i % len(colors)]
        if hatches:
            ax.axvspan(a / 7.0, b / 7.0, facecolor="none", edgecolor=c, hatch=hatches[i % len(hatches)],
                       lw=1.0, zorder=0.4, label=lab, gid=f"band:{lab}")
        else:
            ax.axvspan(a / 7.0, b / 7.0, color=c, alpha=0.25, lw=0, zorder=0, label=lab, gid=f"band:{lab}")
    return ax


def cohort_bands(days: Any, arms: Mapping[str, Any], *, ax: Axes | None = None,
                 on_treatment: Any = None, treatment_label: str = "on treatment",
                 log: bool = False, ylabel: str = "", title: str = "",
                 colors: Sequence[str] = ARM_COLORS, iqr: bool = True, stat: str = "median",
                 styles: Sequence[str] = ("-", "--", ":", "-."),
                 xlabel: str = "weeks since start of treatment",
                 label_format: str = "{label} ({stat}, n={n})", stat_label: str | None = None,
                 decimal: str = ".") -> Axes:
    """Median (line) and inter-quartile range (band) over rows for each arm.

    With ``stat="mean"`` the line is the mean over rows (for 0/1 rows: the share) and no band
    is drawn.

    Parameters
    ----------
    days
        Output days, shape (T,); drawn in weeks.
    arms
        Label -> array (rows, T) (patients or lesions). NaN entries are ignored per day.
    on_treatment
        Optional (rows, T) booleans or (T,) fractions: shaded as :func:`treatment_shading`.
    stat
        "median" (default, with the IQR band when ``iqr``) or "mean".
    log
        Logarithmic y axis, ticks written as plain numbers (0.5, 1, 2, 3), never "6×10⁰".
    xlabel, label_format, stat_label, decimal
        Axis title; legend entry of each arm (fields ``label``, ``stat``, ``n``); the word shown
        for ``stat`` (default: ``stat`` itself); decimal mark of tick labels ("," in French).

    Returns
    -------
    matplotlib.axes.Axes
        Lines carry ``gid="<stat>:<label>"``.
    """
    if stat not in ("median", "mean"):
        raise ValueError(f"stat must be 'median' or 'mean', got {stat!r}")
    ax = _axes(ax, (7.5, 4.5))
    x = _weeks(days)
    if on_treatment is not None:
        on = np.asarray(on_treatment, dtype=float)
        frac = on.mean(axis=0) if on.ndim == 2 else on
        treatment_shading(days, frac, ax=ax, label=treatment_label)
    for i, (lab, a) in enumerate(arms.items()):
        y = np.asarray(a, dtype=float)
        if y.ndim != 2 or y.shape[1] != x.size or y.shape[0] == 0:
            raise ValueError(f"arm {lab!r}: expected (rows >= 1, {x.size}), got {y.shape}")
        c = colors[i % len(colors)]
        med = np.nanmedian(y, axis=0) if stat == "median" else np.nanmean(y, axis=0)
        ax.plot(x, med, color=c, lw=2.2, ls=styles[i % len(styles)],
                label=label_format.format(label=lab, stat=stat_label or stat, n=y.shape[0]),
                gid=f"{stat}:{lab}")
        if iqr and stat == "median":
            lo, hi = np.nanpercentile(y, [25, 75], axis=0)
            ax.fill_between(x, lo, hi, color=c, alpha=0.15, lw=0)
    if log:
        ax.set_yscale("log")
    plain_ticks(ax, log=log, decimal=decimal)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(color="0.92")
    ax.set_axisbelow(True)
    ax.set_xlim(x[0], x[-1])
    return ax


def patient_regrowth(days: Any, treated: Any, untreated: Any, *, on_treatment: Any = None,
                     extra: Mapping[str, Any] | None = None, ax: Axes | None = None,
                     title: str = "", log: bool = True, treated_label: str = "treated",
                     treatment_label: str = "on chemotherapy",
                     ylabel: str = "burden / baseline", xlabel: str = "weeks",
                     untreated_label: str = "untreated (same patient)",
                     nadir_label: str = "nadir", decimal: str = ".") -> Axes:
    """One patient: treated course against its untreated counterfactual, nadir marked.

    After the nadir, the treated curve of a patient whose sensitive cells are gone runs parallel
    to the untreated one on a log axis (the resistant cells grow at the untreated rate); the
    vertical gap is what the treatment removed. ``extra``: further courses of the same patient
    (label -> (T,) array), drawn dotted.
    """
    ax = _axes(ax, (5.0, 3.5))
    x = _weeks(days)
    tr = np.asarray(treated, dtype=float)
    un = np.asarray(untreated, dtype=float)
    if on_treatment is not None:
        treatment_shading(days, on_treatment, ax=ax, color="#0072B2", max_alpha=0.15,
                          label=treatment_label)
    ax.plot(x, un, color="#D55E00", ls="--", lw=1.6, label=untreated_label, gid="untreated")
    for i, (lab, y) in enumerate((extra or {}).items()):
        ax.plot(x, np.asarray(y, dtype=float), color=ARM_COLORS[2 + i % 5], ls=":", lw=1.8,
                label=lab, gid=f"extra:{lab}")
    ax.plot(x, tr, color="#0072B2", lw=2.0, label=treated_label, gid="treated")
    k = int(np.nanargmin(tr))
    ax.plot(x[k], tr[k], "v", color="k", ms=7, label=nadir_label, gid="marker:nadir")
    if log:
        ax.set_yscale("log")
    plain_ticks(ax, log=log, decimal=decimal)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=9)
    ax.grid(color="0.92", which="both")
    ax.set_axisbelow(True)
    ax.set_xlim(x[0], x[-1])
    return ax


def symptom_stack(days: Any, components: Mapping[str, Any], *, total: Any = None,
                  reference: tuple[str, Any] | None = None,
                  ax: Axes | None = None, mid: float | None = 10.0, title: str = "",
                  colors: Sequence[str] = ("0.75", "#E69F00", "#D55E00", "#CC79A7", "#56B4E9"),
                  total_label: str = "mean score", mid_label: str = "baseline ± MID ({mid:g} points)",
                  xlabel: str = "weeks since start of treatment",
                  ylabel: str = "symptom burden (0-100, higher = worse)") -> Axes:
    """Stacked areas of mean symptom components (points) over time, with the mean total.

    ``components``: label -> (T,) mean points. ``total``: (T,) mean score (drawn as a line; it
    differs from the stack top only where the 0-100 clip binds). ``mid``: a bracket of one
    minimal important difference above and below the baseline total. ``reference``:
    ``(label, (T,) array)`` drawn dashed (e.g. the same patients untreated).
    """
    ax = _axes(ax, (7.5, 4.5))
    x = _weeks(days)
    ys = [np.asarray(v, dtype=float) for v in components.values()]
    ax.stackplot(x, *ys, labels=list(components), colors=list(colors)[: len(ys)], alpha=0.85)
    if total is not None:
        tot = np.asarray(total, dtype=float)
        ax.plot(x, tot, color="k", lw=2, label=total_label, gid="total")
        if mid is not None:
            for k, sgn in enumerate((-1.0, 1.0)):
                ax.axhline(tot[0] + sgn * mid, color="k", ls=(0, (1, 2)), lw=1,
                           label=mid_label.format(mid=mid) if k == 0 else None,
                           gid="ref:mid")
    if reference is not None:
        ax.plot(x, np.asarray(reference[1], dtype=float), color="0.35", ls="--", lw=2,
                label=reference[0], gid="reference")
    ax.set_ylim(0, 100)
    ax.set_xlim(x[0], x[-1])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def burden_plot(days: Any, burden: Any, *, on_treatment: Any = None,
                courses: Sequence[tuple[float, float, str]] = (), scan_days: Any = None,
                n_show: int = 30, highlight: int | None = 0, title: str = "",
                treatment_label: str = "on chemotherapy (opacity = share of patients)",
                ax: Axes | None = None) -> Axes:
    """Tumour burden over time for a cohort, under cohort-level treatment bands.

    Parameters
    ----------
    days
        Output days, shape (T,); drawn in weeks.
    burden
        (patients, T) sum of lesion diameters (mm).
    on_treatment
        (patients, T) booleans or (T,) share of patients on treatment: shaded with
        :func:`treatment_shading`, so the band fades as patients stop or progress.
    courses
        Radiotherapy (or other) courses ``(start_day, end_day, label)``, shaded with
        :func:`course_spans`.
    scan_days
        Imaging days: thin vertical lines.
    n_show
        Number of individual patients drawn in grey (the first ``n_show`` rows).
    highlight
        Row drawn in colour as an example patient (None: none).

    Returns
    -------
    matplotlib.axes.Axes
        The cohort median carries ``gid="median:cohort"``, the bands ``gid="band:..."``.
    """
    ax = _axes(ax, (10.5, 4.5))
    x = _weeks(days)
    y = np.asarray(burden, dtype=float)
    if y.ndim != 2 or y.shape[1] != x.size or y.shape[0] == 0:
        raise ValueError(f"burden: expected (patients >= 1, {x.size}), got {y.shape}")
    frac = None
    if on_treatment is not None:
        on = np.asarray(on_treatment, dtype=float)
        frac = on.mean(axis=0) if on.ndim == 2 else on
        treatment_shading(days, frac, ax=ax, color="#0072B2", max_alpha=0.25, label=treatment_label)
    if courses:
        course_spans(courses, ax=ax, colors=("#009E73", "#CC79A7", "#E69F00"), hatches=("///", "\\\\", "xx"))
    for d in np.asarray(scan_days if scan_days is not None else [], dtype=float):
        ax.axvline(d / 7.0, color="0.8", lw=0.5, zorder=0.5)
    k = min(n_show, y.shape[0])
    for i in range(k):
        ax.plot(x, y[i], color="0.55", lw=0.6, alpha=0.6,
                label=f"individual patients ({k} shown)" if i == 0 else None)
    with np.errstate(all="ignore"):  # a day with every patient off study stays NaN
        lo, med, hi = np.nanpercentile(y, [25, 50, 75], axis=0)
    ax.fill_between(x, lo, hi, color="k", alpha=0.12, lw=0, label="cohort IQR")
    ax.plot(x, med, color="k", lw=2.2, label=f"cohort median (n={y.shape[0]}; NaN = off study, left out)",
            gid="median:cohort")
    if highlight is not None and 0 <= highlight < y.shape[0]:
        ax.plot(x, y[highlight], color="#D55E00", lw=1.6, label=f"patient {highlight}",
                gid=f"subject:{highlight}")
    handles, labels = ax.get_legend_handles_labels()
    if frac is not None:  # the share itself, readable where the shading's opacity is not
        ax2 = ax.twinx()
        (ln,) = ax2.step(x, 100.0 * frac, where="post", color="#0072B2", lw=1.2, ls="--",
                         gid="share:on_treatment")
        ax2.set_ylim(0, 105)
        ax2.set_ylabel("patients on chemotherapy (%)", color="#0072B2")
        ax2.tick_params(axis="y", colors="#0072B2")
        handles.append(ln)
        labels.append("patients on chemotherapy (%, right axis)")
    ax.set_xlabel("weeks since start of treatment")
    ax.set_ylabel("sum of lesion diameters (mm, true)")
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(bottom=0)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(handles, labels, fontsize="small", loc="upper left", bbox_to_anchor=(1.1, 1.0),
              borderaxespad=0.0)
    return ax


#: Labels of the symptom components of :func:`oncodyn.simulate.symptoms.symptom_score`.
SYMPTOM_COMPONENTS = {"baseline": "baseline (non-cancer)", "tumour": "tumour",
                      "neutropenia": "neutropenia", "chemotherapy": "chemotherapy side effects",
                      "radiotherapy": "radiotherapy (acute)"}


def cohort_symptoms(symptoms: Any, *, ax: Axes | None = None, title: str = "") -> Axes:
    """Mean symptom components and mean score of a cohort over time (:func:`symptom_stack`).

    ``symptoms``: the frame of :func:`oncodyn.simulate.symptoms.symptom_score` (one row per
    patient and output day); each day's mean is over the patients with a row that day.
    """
    g = symptoms.groupby("day", sort=True)
    mean = g[list(SYMPTOM_COMPONENTS) + ["score"]].mean()
    comps = {lab: mean[c].to_numpy() for c, lab in SYMPTOM_COMPONENTS.items()}
    ax = symptom_stack(mean.index.to_numpy(dtype=float), comps, total=mean["score"].to_numpy(),
                       ax=ax, title=title)
    ax.legend(fontsize="small", loc="upper right")
    return ax


def radiotherapy_spans(scenario: Any) -> list[tuple[float, float, str]]:
    """``(first fraction day, last fraction day + 1, label)`` per radiotherapy course of a scenario."""
    from ..simulate import course_schedule

    spans = []
    for rc in scenario.radiation:
        fx = course_schedule(rc)  # Fractionation, or one LDR implant
        t = fx.fraction_times()
        spans.append((float(t[0]), max(float(t[-1]) + 1.0, fx.end_day()),
                      f"{fx.describe()} ({rc.target})"))
    return spans


def simulation_figures(result: Any, *, symptoms: Any = None, on_chemo: Any = None,
                       n_show: int = 30) -> dict[str, Any]:
    """The figures of ``oncodyn simulate``: name -> matplotlib Figure.

    ``burden`` (:func:`burden_plot`: share of patients on chemotherapy, radiotherapy courses,
    scans), ``spider``, ``waterfall``, ``swimmer`` (:mod:`oncodyn.plot.recist`, the first
    ``n_show`` patients for spider and swimmer) and, with ``symptoms``, ``symptoms``
    (:func:`cohort_symptoms`).

    Parameters
    ----------
    result
        ``SimulationResult`` kept with ``keep="all"``.
    symptoms
        Frame of :func:`oncodyn.simulate.symptoms.symptom_score`, or None.
    on_chemo
        (patients, T) booleans (on chemotherapy per output day), e.g. the ``on_chemo`` column of
        :func:`oncodyn.simulate.symptoms.symptom_inputs`'s trajectories reshaped; None: on
        line 1 or line 2 (``result.state`` 1 or 2).
    """
    import pandas as pd

    from .recist import spider, swimmer, waterfall

    name = result.scenario.name
    on = np.isin(result.state, (1, 2)) if on_chemo is None else np.asarray(on_chemo, dtype=bool)
    figs: dict[str, Any] = {}
    ax = burden_plot(result.grid, result.burden, on_treatment=on,
                     courses=radiotherapy_spans(result.scenario), scan_days=result.scan_days,
                     n_show=n_show, title=f"{name}: tumour burden, {result.n} virtual patients")
    figs["burden"] = ax.figure
    tp = result.timepoints_frame()
    tp = tp.assign(subject_id=tp.subject_id.astype(str))
    pats = result.patients_frame()
    sid = pats.subject_id.astype(str)
    br = pd.DataFrame({"subject_id": sid, "bor": pats.bor, "best_pct_change": pats.best_pct_change})
    pfs = pd.DataFrame({"subject_id": sid, "event": pats.pfs_event, "days": pats.pfs_days})
    few = set(map(str, range(min(n_show, result.n))))
    ax = spider(tp[tp.subject_id.isin(few)], best_response=br)
    ax.set_title(f"{name}: first {len(few)} patients", fontsize=10)
    figs["spider"] = ax.figure
    ax = waterfall(br)
    ax.set_title(f"{name}: best % change, {result.n} patients", fontsize=10)
    figs["waterfall"] = ax.figure
    ax = swimmer(tp[tp.subject_id.isin(few)], br[br.subject_id.isin(few)], pfs[pfs.subject_id.isin(few)])
    ax.set_title(f"{name}: first {len(few)} patients", fontsize=10)
    figs["swimmer"] = ax.figure
    if symptoms is not None:
        ax = cohort_symptoms(symptoms, title=f"{name}: symptom burden index, mean over the patients on study "
                                             f"(n={result.n} at start; illustrative weights)")
        figs["symptoms"] = ax.figure
    return figs
