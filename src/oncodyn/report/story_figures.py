"""Figures of the story demo, drawn once per language from the numbers of
:func:`oncodyn.report.story_demo.run_story_demo` (no simulation here).

Each ``fig_*`` function takes the demo's data (a mapping of arrays and frames) and a language
("en" or "fr") and returns a matplotlib Figure; every label comes from
:mod:`oncodyn.report.story_text`, so the French figures are labelled in French with French
typography (decimal comma, non-breaking space before %).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .story_text import RESPONSE_WORDS, label

#: Radiotherapy arms of figure 5, in drawing order (ids of ``story_facts.json``).
RT_ARMS = ("chemo", "ebrt40", "boost", "ebrt55")
#: Felt symptom components (neutropenia, a blood count, is drawn apart).
FELT = ("baseline", "tumour", "chemotherapy", "radiotherapy")
_FELT_KEYS = {"baseline": "sym_background", "tumour": "sym_tumour", "chemotherapy": "sym_chemo",
              "radiotherapy": "sym_rt"}


def _dec(lang: str) -> str:
    return "," if lang == "fr" else "."


def clip_drawn(ax: Any, values: np.ndarray, what: str, lang: str, top: float = 150.0) -> int:
    """Cap the % axis at ``top`` when some of the *drawn* ``values`` exceed it; say how many.

    Returns the number of values above ``top`` (0: the axis is left alone and nothing is said).
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n_out = int((v > top).sum())
    if n_out:
        ax.set_ylim(max(ax.get_ylim()[0], -105.0), top)
        ax.text(0.99, 0.98, label(lang, "clip", k=n_out, what=label(lang, what), top=top,
                                  max=float(v.max())),
                transform=ax.transAxes, ha="right", va="top", fontsize=8)
    return n_out


def _bor_legend(ax: Any, cats: list[str], lang: str, extra: list[Any] = ()) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from ..plot import BOR_COLORS

    words = RESPONSE_WORDS[lang]
    handles = [Patch(color=BOR_COLORS[c], label=words.get(c, c))
               for c in BOR_COLORS if c in set(cats)]
    handles.append(Line2D([], [], color="0.35", ls="--", lw=1, label=label(lang, "ref_lines")))
    handles.extend(extra)
    ax.legend(handles=handles, title=label(lang, "bor_title"), fontsize="small",
              title_fontsize="small", frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def fig_brake(d: dict[str, Any], lang: str) -> Any:
    import matplotlib.pyplot as plt

    from .. import plot

    fig, ax = plt.subplots(figsize=(8, 4.6))
    arms = {label(lang, "docetaxel"): d["rel_tr"], label(lang, "untreated"): d["rel_un"]}
    plot.cohort_bands(d["days"], arms, ax=ax, on_treatment=d["on_tr"], log=True,
                      treatment_label=label(lang, "on_docetaxel_share"),
                      ylabel=label(lang, "brake_y"), xlabel=label(lang, "weeks"),
                      stat_label=label(lang, "median"), decimal=_dec(lang),
                      title=label(lang, "brake_title", n=d["n"], seed=d["seed"]))
    ax.axhline(1.0, color="0.4", lw=0.8)
    ax.legend(fontsize="small", loc="upper left")
    return fig


def fig_waterfall(d: dict[str, Any], lang: str) -> Any:
    import matplotlib.pyplot as plt

    from .. import plot

    fig, ax = plt.subplots(figsize=(9, 4.5))
    br = d["br"]
    plot.waterfall(br, ax=ax)
    clip_drawn(ax, br["best_pct_change"].to_numpy(dtype=float), "bars", lang)
    c = d["counts"]
    ax.set_title(label(lang, "waterfall_title", n=d["n"],
                       **{k: c.get(k, 0) for k in ("CR", "PR", "SD", "PD", "NE")}), fontsize=10)
    ax.set_ylabel(label(lang, "waterfall_y"))
    n_missing = int(br["best_pct_change"].isna().sum())
    ax.set_xlabel(label(lang, "waterfall_x")
                  + (label(lang, "waterfall_missing", k=n_missing) if n_missing else ""))
    if len(br) > 40:  # no subject ids under the bars: drop the blank ticks (faster to draw)
        ax.set_xticks([])
    _bor_legend(ax, list(br.loc[br["best_pct_change"].notna(), "bor"].astype(str)), lang)
    plot.plain_ticks(ax, decimal=_dec(lang))
    return fig


def fig_spider(d: dict[str, Any], lang: str) -> Any:
    """Spider plot in weeks, up to each patient's first progression; the % axis is capped only
    when a drawn point passes +150 %, and the count is of drawn points."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from .. import plot

    fig, ax = plt.subplots(figsize=(9, 4.8))
    tp = d["tp_few"]
    tp = tp.assign(day=tp["day"] / 7.0)  # the spider's x axis, in weeks like the other figures
    plot.spider(tp, best_response=d["br"], ax=ax)
    drawn = np.concatenate([np.asarray(ln.get_ydata(), dtype=float) for ln in ax.lines
                            if str(ln.get_gid()).startswith("subject:")] or [np.empty(0)])
    clip_drawn(ax, drawn, "points", lang)
    ax.set_xlabel(label(lang, "weeks_doc"))
    ax.set_ylabel(label(lang, "spider_y"))
    ax.set_title(label(lang, "spider_title", k=d["n_few"]), fontsize=10)
    marks = [Line2D([], [], color="0.3", marker="o", ms=3, lw=1.4, label=label(lang, "scan")),
             Line2D([], [], color="0.3", marker="x", ms=7, mew=1.8, ls="none",
                    label=label(lang, "progression"))]
    _bor_legend(ax, d["drawn_bor"], lang, extra=marks)
    plot.plain_ticks(ax, decimal=_dec(lang))
    return fig


def fig_regrowth(d: dict[str, Any], lang: str) -> Any:
    import matplotlib.pyplot as plt

    from .. import plot

    picks = d["picks"]
    days, nadir, nadir_k = d["days"], d["nadir"], d["nadir_k"]
    fig, axes = plt.subplots(1, len(picks), figsize=(3.4 * len(picks), 3.6), sharey=True,
                             squeeze=False)
    for ax, i in zip(axes[0], picks, strict=True):
        plot.patient_regrowth(days, d["rel_co"][i], d["rel_un"][i], on_treatment=d["on_tr"][i],
                              extra={label(lang, "regrow_stopped"): d["rel_tr"][i]}, ax=ax,
                              treated_label=label(lang, "regrow_continued"),
                              treatment_label=label(lang, "regrow_on"),
                              untreated_label=label(lang, "regrow_untreated"),
                              nadir_label=label(lang, "nadir"), xlabel=label(lang, "weeks"),
                              ylabel=label(lang, "regrow_y"), decimal=_dec(lang),
                              title=label(lang, "regrow_panel", i=i, pct=100 * (nadir[i] - 1),
                                          wk=days[nadir_k[i]] / 7))
    for ax in axes[0][1:]:
        ax.set_ylabel("")
    axes[0][0].legend(fontsize=7, loc="upper left")
    fig.suptitle(label(lang, "regrow_title"), fontsize=10)
    fig.tight_layout()
    return fig


def fig_radiotherapy(d: dict[str, Any], lang: str) -> Any:
    import matplotlib.pyplot as plt

    from .. import plot

    les, target = d["les"], d["target"]
    names = {a: label(lang, f"arm_{a}") for a in RT_ARMS}
    fig, axes = plt.subplots(1, 3, figsize=(17, 5.0))
    prim = {names[a]: les[a][target] for a in RT_ARMS}
    other = {names[a]: les[a][~target] for a in RT_ARMS} if (~target).any() else {}
    panels = [(axes[0], prim, "median", label(lang, "rt_y"),
               label(lang, "rt_primary", k=int(target.sum()))),
              (axes[1], {k: (v > 0).astype(float) for k, v in prim.items()}, "mean",
               label(lang, "rt_share_y"), label(lang, "rt_visible")),
              (axes[2], other, "median", label(lang, "rt_y"),
               label(lang, "rt_other", k=int((~target).sum())))]
    spans = [(a, b, label(lang, f"course_{mod}", n=k, d=f"{dose:g}".replace(".", _dec(lang))))
             for a, b, mod, k, dose in d["spans"]]
    for ax, arms_, stat, ylab, title in panels:
        plot.course_spans(spans, ax=ax)
        if arms_:
            plot.cohort_bands(d["les_days"], arms_, ax=ax, stat=stat, iqr=ax is axes[0],
                              ylabel=ylab, title=title, xlabel=label(lang, "weeks"),
                              stat_label=label(lang, stat), decimal=_dec(lang),
                              colors=("#0072B2", "#D55E00", "#009E73", "#CC79A7"))
        ax.set_ylim(0, 1.08 if stat == "mean" else 3.0)
        if stat == "median":
            ax.axhline(1.0, color="0.4", lw=0.8)
    axes[2].text(0.98, 0.03, label(lang, "rt_coincide"), transform=axes[2].transAxes, ha="right",
                 va="bottom", fontsize=8.5)
    e = d["eqd2"]
    fig.suptitle(label(lang, "rt_title", n=d["n"], w=d["rt_scan_weeks"], e40=e["ebrt40"],
                       eboost=e["boost"], e55=e["ebrt55"]), fontsize=10)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    handles, labels_ = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels_, loc="lower center", ncol=4, fontsize=7.5, frameon=False)
    return fig


def fig_symptoms(d: dict[str, Any], lang: str) -> Any:
    """Felt symptoms stacked; neutropenia (a blood count) as a share of patients on its own axis."""
    import matplotlib.pyplot as plt

    from .. import plot

    stab, n = d["stab"], d["n"]
    fig, axes = plt.subplots(1, 2, figsize=(15, 6.4), sharey=True)
    for ax, (scen, arm_t), title in zip(
            axes, (("nsclc_docetaxel", "docetaxel"),
                   ("bladder_chemoradiation_brachy", "chemoradiation + HDR boost")),
            (label(lang, "sym_nsclc", n=n), label(lang, "sym_bladder", n=n)), strict=True):
        s = stab[(stab.scenario == scen) & (stab.arm == arm_t)]
        u = stab[(stab.scenario == scen) & (stab.arm == "untreated")]
        x = s["day"].to_numpy(dtype=float)
        plot.symptom_stack(x, {label(lang, _FELT_KEYS[c]): s[c].to_numpy() for c in FELT},
                           total=s["felt_score"].to_numpy(),
                           reference=(label(lang, "sym_untreated"), u["felt_score"].to_numpy()),
                           ax=ax, mid=d["mid"], title=title, colors=("0.75", "#E69F00", "#CC79A7",
                                                                      "#56B4E9"),
                           total_label=label(lang, "sym_total"), mid_label=label(lang, "sym_mid"),
                           xlabel=label(lang, "weeks"), ylabel=label(lang, "sym_y"))
        plot.plain_ticks(ax, decimal=_dec(lang))
        ax2 = ax.twinx()
        (ln,) = ax2.step(x / 7.0, 100 * s["share_neutropenia_g3"].to_numpy(), where="post",
                         color="#D55E00", lw=0.9, alpha=0.8, gid="share:neutropenia_g3")
        ax2.set_ylim(0, 100)
        ax2.set_ylabel(label(lang, "sym_neut_y"), color="#D55E00", fontsize=8)
        ax2.tick_params(axis="y", colors="#D55E00", labelsize=8)
        handles, labels_ = ax.get_legend_handles_labels()
        ax.legend(handles + [ln], labels_ + [label(lang, "sym_neut")], fontsize=7.5,
                  loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=False)
    axes[1].set_ylabel("")
    fig.suptitle(label(lang, "sym_title"), fontsize=10)
    fig.tight_layout()
    return fig


def fig_survival(d: dict[str, Any], lang: str) -> Any:
    """OS and PFS Kaplan–Meier curves, treated vs the same patients untreated, numbers at risk
    (:func:`oncodyn.plot.trials.km_by_arm`)."""
    import matplotlib.pyplot as plt

    from ..plot.trials import km_by_arm

    sv = d["surv_facts"]
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.6))
    names = {"docetaxel": label(lang, "docetaxel"), "untreated": label(lang, "untreated")}
    for ax, ep in zip(axes, ("os", "pfs"), strict=True):
        km_by_arm(d["surv"], endpoint=ep, arms=["docetaxel", "untreated"], labels=names, ax=ax,
                  step_months=3.0)
        ax.set_xlabel(label(lang, "months"))
        ax.set_ylabel(label(lang, "surv_y"))
        ax.set_title(label(lang, ep), fontsize=10)
        for t in ax.texts:
            if t.get_text() == "at risk":
                t.set_text(label(lang, "at_risk"))
        if lang == "fr":  # n=... legend entries keep their numbers; decimal commas on the ticks
            from ..plot import plain_ticks

            plain_ticks(ax, decimal=",")
    def m(arm: str, key: str) -> str:
        v = sv[arm][key]
        return "—" if v is None else (f"{v:.1f}" if lang == "en" else f"{v:.1f}".replace(".", ","))

    fig.suptitle(label(lang, "surv_title", n=d["n"], seed=d["seed"],
                       os_t=m("docetaxel", "median_os_months"), os_u=m("untreated", "median_os_months"),
                       pfs_t=m("docetaxel", "median_pfs_months"),
                       pfs_u=m("untreated", "median_pfs_months")), fontsize=10)
    fig.subplots_adjust(bottom=0.3, left=0.12, wspace=0.35, top=0.85)
    return fig


FIGURE_FUNCTIONS = {
    "01_brake_not_eraser.png": fig_brake,
    "02_waterfall.png": fig_waterfall,
    "03_spider.png": fig_spider,
    "04_resistance_regrowth.png": fig_regrowth,
    "05_radiotherapy_targets.png": fig_radiotherapy,
    "06_symptoms.png": fig_symptoms,
    "07_survival.png": fig_survival,
}
