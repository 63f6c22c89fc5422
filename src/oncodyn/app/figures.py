"""Tables and figures of the app's pages, labelled in the page's language.

The drawing itself is oncodyn's (:mod:`oncodyn.plot.recist`, :mod:`oncodyn.report.case`); this
module only translates labels and picks columns, so the app and the CLI draw the same figures.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..plot.treatment import SYMPTOM_COMPONENTS
from ..population.next_scan import NextScanForecast
from ..report.case import RESPONSE_WORDS
from ..report.typography import percent, quantity
from .i18n import t

_LABELS = {
    "spider_x": {"en": "Days since the first scan", "fr": "Jours depuis le premier examen"},
    "spider_y": {"en": "Change in the sum of diameters from baseline (%)",
                 "fr": "Évolution de la somme des diamètres depuis l'examen initial (%)"},
    "waterfall_x": {"en": "Patients", "fr": "Patients"},
    "waterfall_y": {"en": "Best change in the sum of diameters (%)",
                    "fr": "Meilleure évolution de la somme des diamètres (%)"},
    "legend": {"en": "Best overall response", "fr": "Meilleure réponse globale"},
    "subject": {"en": "Patient", "fr": "Patient"},
    "week": {"en": "Week", "fr": "Semaine"},
    "overall": {"en": "Response", "fr": "Réponse"},
    "sod": {"en": "Sum of diameters (mm)", "fr": "Somme des diamètres (mm)"},
    "pct": {"en": "Change from baseline", "fr": "Évolution depuis l'examen initial"},
    "reason": {"en": "Reason (RECIST engine)", "fr": "Justification (moteur RECIST, en anglais)"},
    "bor": {"en": "Best overall response", "fr": "Meilleure réponse globale"},
    "confirmed": {"en": "Confirmed", "fr": "Confirmée"},
    "best_pct": {"en": "Best change", "fr": "Meilleure évolution"},
    "yes": {"en": "yes", "fr": "oui"},
    "no": {"en": "no", "fr": "non"},
}


def label(key: str, lang: str) -> str:
    return _LABELS[key][lang]


def _resp(code: Any, lang: str) -> str:
    return RESPONSE_WORDS.get(str(code), {"en": str(code), "fr": str(code)})[lang]


#: Legend entries written by :mod:`oncodyn.plot` in English, and their French.
_LEGEND_FR = {
    "\u221230 % (PR) / +20 % (PD)": "\u221230\u00a0% (réponse partielle) / +20\u00a0% (progression)",
    "mean score": "score moyen",
    "baseline ± MID (10 points)": "score initial ± différence minimale importante (10 points)",
    **{v: k for k, v in {
        "niveau de base (hors cancer)": SYMPTOM_COMPONENTS["baseline"],
        "tumeur": SYMPTOM_COMPONENTS["tumour"],
        "neutropénie": SYMPTOM_COMPONENTS["neutropenia"],
        "effets indésirables de la chimiothérapie": SYMPTOM_COMPONENTS["chemotherapy"],
        "radiothérapie (effets aigus)": SYMPTOM_COMPONENTS["radiotherapy"]}.items()},
}


def translate_legend(ax: Any, lang: str, extra: dict[str, str] | None = None) -> None:
    """Rewrite the legend entries of ``ax`` in ``lang`` (response codes in words, the plotting
    library's English labels in French). Entries without a translation are left as they are."""
    leg = ax.get_legend()
    if leg is None or lang == "en":
        return
    words = {**_LEGEND_FR, **(extra or {})}
    for text in leg.get_texts():
        old = text.get_text()
        code, _, rest = old.partition(" ")
        if old in words:
            text.set_text(words[old])
        elif code in RESPONSE_WORDS:
            text.set_text(_resp(code, lang) + (" " + rest if rest else ""))
        else:
            for en, fr in words.items():
                if old.startswith(en):
                    text.set_text(fr + old[len(en):])
                    break


def decimal_ticks(ax: Any, lang: str) -> None:
    """Tick labels with the decimal comma in French (``0,2``, ``1,5``)."""
    if lang != "fr":
        return
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _: f"{v:g}".replace(".", ",").replace("-", "\u2212"))
    ax.yaxis.set_major_formatter(fmt)
    if ax.get_xscale() == "linear":
        ax.xaxis.set_major_formatter(fmt)


def _relegend(ax: Any, lang: str) -> None:
    leg = ax.get_legend()
    if leg is None:
        return
    leg.set_title(label("legend", lang))
    translate_legend(ax, lang)


def spider_figure(result: Any, lang: str, *, highlight: str | None = None) -> Any:
    """Spider plot of every subject (the chosen one drawn thick), labels in ``lang``."""
    from ..plot.recist import spider

    ax = spider(result.timepoints, best_response=result.best_response, lw=1.0, alpha=0.6)
    if highlight is not None:
        for line in ax.get_lines():
            if line.get_gid() == f"subject:{highlight}":
                line.set_linewidth(3.0)
                line.set_alpha(1.0)
                line.set_zorder(5)
    ax.set_xlabel(label("spider_x", lang))
    ax.set_ylabel(label("spider_y", lang))
    ax.set_title("")
    _relegend(ax, lang)
    return ax


def waterfall_figure(result: Any, lang: str) -> Any:
    from ..plot.recist import waterfall

    ax = waterfall(result.best_response)
    ax.set_xlabel(label("waterfall_x", lang))
    ax.set_ylabel(label("waterfall_y", lang))
    ax.set_title("")
    _relegend(ax, lang)
    return ax


def timepoint_table(tp: Any, lang: str) -> Any:
    """One subject's time points: week, response in words, sum, % change, the engine's reason."""
    import pandas as pd

    day = pd.to_numeric(tp["day"], errors="coerce")
    d0 = day.iloc[0] if len(day) else 0.0
    return pd.DataFrame({
        label("week", lang): ((day - d0) / 7).round().astype("Int64"),
        label("overall", lang): [_resp(x, lang) for x in tp["overall"]],
        label("sod", lang): pd.to_numeric(tp["sod_mm"], errors="coerce").round(1),
        label("pct", lang): [percent(x, lang, 1, signed=True) if x == x else "–"
                             for x in pd.to_numeric(tp["pct_change_from_baseline"],
                                                    errors="coerce")],
        label("reason", lang): tp["reason"].astype(str).tolist(),
    })


def best_response_table(br: Any, lang: str) -> Any:
    """Counts of best overall response (in words), over all subjects."""
    import pandas as pd

    counts = br["bor"].astype(str).value_counts()
    n = max(int(counts.sum()), 1)
    rows = [{label("bor", lang): _resp(code, lang), "n": int(k),
             "%": percent(100 * k / n, lang, 1)} for code, k in counts.items()]
    return pd.DataFrame(rows)


def forecast_sentence(fc: NextScanForecast, lang: str) -> str:
    mm = lambda x: quantity(x, "mm", lang, 0)  # noqa: E731
    return t("forecast_text", lang, weeks=int(round(fc.t_next / 7)), point=mm(fc.point),
             lo80=mm(fc.lo80), hi80=mm(fc.hi80), lo95=mm(fc.lo95), hi95=mm(fc.hi95),
             ppd=percent(100 * fc.p_pd, lang, 0))


def forecast_figure(fc: NextScanForecast, lang: str, facts: dict | None = None) -> Any:
    from ..report.case import case_figure

    facts = facts or {"days": np.asarray(fc.curve_t[:0])}
    return case_figure(facts, lang, fc)


# ---------------------------------------------------------------------------- scenario page
_SIM = {
    "weeks": {"en": "Weeks since the start of treatment", "fr": "Semaines depuis le début du traitement"},
    "burden_y": {"en": "Sum of diameters relative to baseline",
                 "fr": "Somme des diamètres rapportée à l'examen initial"},
    "median_iqr": {"en": "virtual patients", "fr": "patients virtuels"},
    "median": {"en": "median and interquartile range", "fr": "médiane et écart interquartile"},
    "on_treatment": {"en": "on treatment", "fr": "sous traitement"},
    "months": {"en": "Months", "fr": "Mois"},
    "surv_pfs": {"en": "Probability of being alive without progression",
                 "fr": "Probabilité d'être en vie sans progression"},
    "surv_os": {"en": "Probability of being alive", "fr": "Probabilité d'être en vie"},
    "symptom_y": {"en": "Mean symptom score (0-100)", "fr": "Score moyen de symptômes (0 à 100)"},
    "all_patients": {"en": "all patients", "fr": "tous les patients"},
}


def sim_label(key: str, lang: str) -> str:
    return _SIM[key][lang]


def burden_figure(res: Any, lang: str) -> Any:
    """Median and IQR of each virtual patient's burden relative to baseline, shaded on treatment."""
    from ..plot.treatment import cohort_bands

    base = res.burden[:, :1]
    with np.errstate(all="ignore"):
        rel = res.burden / np.where(base > 0, base, np.nan)
    on = np.isin(res.state, (1, 2))
    ax = cohort_bands(res.grid, {sim_label("median_iqr", lang): rel}, on_treatment=on,
                      treatment_label=sim_label("on_treatment", lang),
                      stat_label=sim_label("median", lang),
                      label_format="{label}" + ("\u00a0: " if lang == "fr" else ": ")
                      + "{stat} (n = {n})",
                      decimal="," if lang == "fr" else ".")
    ax.set_xlabel(sim_label("weeks", lang))
    ax.set_ylabel(sim_label("burden_y", lang))
    ax.legend(fontsize="small", frameon=False)
    return ax


def sim_waterfall_figure(res: Any, lang: str) -> Any:
    import pandas as pd

    from ..plot.recist import waterfall

    p = res.patients_frame()
    ax = waterfall(pd.DataFrame({"subject_id": p.subject_id.astype(str), "bor": p.bor,
                                 "best_pct_change": p.best_pct_change}))
    ax.set_xlabel(label("waterfall_x", lang))
    ax.set_ylabel(label("waterfall_y", lang))
    ax.set_title("")
    if len(p) > 40:  # no subject ids under the bars: drop the empty ticks (costly to draw)
        ax.set_xticks([])
    _relegend(ax, lang)
    return ax


def _relabel_km(ax: Any, lang: str, endpoint: str) -> None:
    ax.set_xlabel(sim_label("months", lang))
    ax.set_ylabel(sim_label(f"surv_{endpoint}", lang))
    for text in ax.texts:
        if text.get_text() == "at risk":
            text.set_text(t("at_risk", lang))
        elif text.get_text() == "all patients":
            text.set_text(sim_label("all_patients", lang))
    translate_legend(ax, lang, {"all patients": sim_label("all_patients", lang)})
    decimal_ticks(ax, lang)


def has_os(res: Any) -> bool:
    return getattr(res, "os_days", None) is not None


def km_figure(res: Any, lang: str, endpoint: str) -> Any:
    """Kaplan–Meier curve of a simulated cohort with the numbers at risk."""
    from ..plot.survival import km_plot

    ax = km_plot(res, endpoint=endpoint)
    _relabel_km(ax, lang, endpoint)
    return ax


def km_by_arm_figure(trial: Any, lang: str, endpoint: str) -> Any:
    """Kaplan–Meier curves by arm of a virtual trial, with the at-risk table."""
    import matplotlib.pyplot as plt

    from ..plot.trials import km_by_arm

    _, ax = plt.subplots(figsize=(7.0, 5.0))
    arms = [str(a) for a in trial.patients["arm"].unique()]
    ax = km_by_arm(trial.patients, endpoint=endpoint, ax=ax,
                   labels={a: t("arm", lang, k=a) for a in arms})
    _relabel_km(ax, lang, endpoint)
    return ax


def symptoms_figure(res: Any, lang: str) -> Any:
    """Mean symptom components of the cohort over time (illustrative weights)."""
    from ..plot.treatment import cohort_symptoms
    from ..simulate.symptoms import cohort_symptom_score

    ax = cohort_symptoms(cohort_symptom_score(res))
    ax.set_xlabel(sim_label("weeks", lang))
    ax.set_ylabel(sim_label("symptom_y", lang))
    translate_legend(ax, lang)
    return ax
