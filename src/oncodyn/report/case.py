"""One patient's case report in plain words, in English or French (HTML or PDF).

What the scans show, the RECIST 1.1 result explained in words, what the model expects at the next
scan with its uncertainty, and what chemotherapy can and cannot do (a brake, not an eraser), with
a figure and the research-software disclaimer. Inputs are oncodyn results: a
:class:`oncodyn.recist.RecistResult` and, optionally, a :class:`NextScanForecast`.

Research and teaching software, not a clinical decision tool: the report says so at its top.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import numpy as np
import pandas as pd

from ..population.next_scan import NextScanForecast
from .typography import check_lang, french_punctuation, percent, quantity

DAYS_PER_WEEK = 7.0


MODEL_NAMES = {"stein_gd": "Stein–Fojo", "claret": "Claret"}

RESPONSE_WORDS = {
    "CR": {"en": "complete response", "fr": "réponse complète"},
    "PR": {"en": "partial response", "fr": "réponse partielle"},
    "SD": {"en": "stable disease", "fr": "maladie stable"},
    "PD": {"en": "progressive disease", "fr": "progression"},
    "NE": {"en": "not evaluable", "fr": "non évaluable"},
    "NON-CR/NON-PD": {"en": "neither complete response nor progression",
                      "fr": "ni réponse complète ni progression"},
    "BASELINE": {"en": "baseline", "fr": "examen initial"},
}

_T = {
    "title": {"en": "Case report: patient {sid}", "fr": "Compte rendu : patient {sid}"},
    "disclaimer": {
        "en": "Research and teaching software, not a clinical decision tool. This report explains "
              "measurements and a statistical model; it must not be used to choose, change or stop "
              "a real patient's treatment. Only the care team can interpret a patient's scans.",
        "fr": "Logiciel de recherche et d'enseignement, pas un outil d'aide à la décision "
              "clinique. Ce compte rendu explique des mesures et un modèle statistique ; il ne "
              "doit pas servir à choisir, modifier ou arrêter le traitement d'un vrai patient. "
              "Seule l'équipe soignante peut interpréter les examens d'un patient."},
    "h_scans": {"en": "What the scans show", "fr": "Ce que montrent les examens"},
    "scans": {
        "en": "{n} scans were read. At the first scan (baseline), the target lesions measured "
              "{base} in total (the sum of their diameters). At the last scan, week {wk_last}, "
              "the sum was {last}, a change of {chg} from baseline. The smallest sum so far was "
              "{nadir}, in week {wk_nadir}.",
        "fr": "{n} examens ont été lus. Au premier examen (examen initial), les lésions cibles "
              "mesuraient {base} au total (la somme de leurs diamètres). Au dernier examen, "
              "semaine {wk_last}, la somme était de {last}, soit une évolution de {chg} depuis "
              "l'examen initial. La plus petite somme observée a été de {nadir}, semaine "
              "{wk_nadir}."},
    "scans_short": {
        "en": "{n} scans were read; no sum of target diameters could be computed for this "
              "patient (no measurable target lesion).",
        "fr": "{n} examens ont été lus ; aucune somme de diamètres de lésions cibles n'a pu être "
              "calculée pour ce patient (pas de lésion cible mesurable)."},
    "new": {"en": "A new lesion was seen in week {wk}.",
            "fr": "Une nouvelle lésion a été vue la semaine {wk}."},
    "h_recist": {"en": "The RECIST 1.1 result, in words", "fr": "Le résultat RECIST 1.1, en mots"},
    "recist_rules": {
        "en": "RECIST 1.1 compares the sum of the target diameters with the first scan and with "
              "the smallest sum so far: a fall of at least 30% from baseline is a partial "
              "response; a rise of at least 20% and at least 5 mm above the smallest sum, or a "
              "new lesion, is progression; in between, the disease is called stable.",
        "fr": "RECIST 1.1 compare la somme des diamètres des lésions cibles au premier examen et "
              "à la plus petite somme observée : une baisse d'au moins 30 % depuis l'examen "
              "initial est une réponse partielle ; une hausse d'au moins 20 % et d'au moins "
              "5 mm au-dessus de la plus petite somme, ou une nouvelle lésion, est une "
              "progression ; entre les deux, la maladie est dite stable."},
    "tp": {"en": "Week {wk}: {resp} (sum {sod}, {chg} from baseline).",
           "fr": "Semaine {wk} : {resp} (somme {sod}, {chg} depuis l'examen initial)."},
    "tp_nosum": {"en": "Week {wk}: {resp}.", "fr": "Semaine {wk} : {resp}."},
    "bor": {"en": "Best overall response: {resp}{conf}.",
            "fr": "Meilleure réponse globale : {resp}{conf}."},
    "confirmed": {"en": " (confirmed by a later scan)", "fr": " (confirmée par un examen ultérieur)"},
    "h_next": {"en": "What the model expects at the next scan",
               "fr": "Ce que le modèle prévoit au prochain examen"},
    "next": {
        "en": "If the next scan is in week {wk}, the model expects a sum of about {point}. It is "
              "uncertain: 8 times in 10 the sum should fall between {lo80} and {hi80}, and 19 "
              "times in 20 between {lo95} and {hi95}. The chance that this scan shows "
              "progression by the size rule of RECIST is about {ppd}.",
        "fr": "Si le prochain examen a lieu la semaine {wk}, le modèle prévoit une somme "
              "d'environ {point}. C'est incertain : 8 fois sur 10, la somme devrait se situer "
              "entre {lo80} et {hi80}, et 19 fois sur 20 entre {lo95} et {hi95}. La probabilité "
              "que cet examen montre une progression selon la règle de taille RECIST est "
              "d'environ {ppd}."},
    "next_method": {
        "en": "How: a population model ({model}) of the {n} patients of these data with at least "
              "two measured sums, conditioned on this patient's {k} sums; the intervals include "
              "measurement error.",
        "fr": "Méthode : un modèle de population ({model}) ajusté sur les {n} patients de ces "
              "données ayant au moins deux sommes mesurées, conditionné par les {k} sommes de ce "
              "patient ; les intervalles tiennent compte de l'erreur de mesure."},
    "next_none": {"en": "No forecast could be made for this patient: {reason}",
                  "fr": "Aucune prévision n'a pu être faite pour ce patient : {reason}"},
    "h_chemo": {"en": "What chemotherapy can and cannot do",
                "fr": "Ce que la chimiothérapie peut et ne peut pas faire"},
    "chemo": {
        "en": "Chemotherapy is a brake on metastases, not an eraser. It slows down cells that "
              "divide quickly, so lesions often stop growing or shrink, but they rarely vanish. "
              "How well it works differs from one cancer, one stage and one person to another, "
              "and the tumour can become resistant over time. This is why scans are repeated and "
              "the treatment plan is adapted. The aims are to control the disease, to relieve "
              "symptoms and to live longer.",
        "fr": "La chimiothérapie freine les métastases, elle ne les efface pas. Elle ralentit les "
              "cellules qui se divisent vite : les lésions cessent souvent de grossir ou "
              "diminuent, mais elles disparaissent rarement. Son efficacité varie selon le "
              "cancer, son stade et chaque personne, et la tumeur peut devenir résistante avec le "
              "temps. C'est pourquoi les examens sont répétés et le traitement adapté. Les "
              "objectifs sont de contrôler la maladie, de soulager les symptômes et de vivre plus "
              "longtemps."},
    "fig_x": {"en": "Weeks since the first scan", "fr": "Semaines depuis le premier examen"},
    "fig_y": {"en": "Sum of target diameters (mm)", "fr": "Somme des diamètres cibles (mm)"},
    "fig_obs": {"en": "measured", "fr": "mesuré"},
    "fig_fc": {"en": "model: median and 80% band", "fr": "modèle : médiane et bande à 80 %"},
    "fig_next": {"en": "next scan: 95% interval", "fr": "prochain examen : intervalle à 95 %"},
    "fig_pd": {"en": "progression threshold", "fr": "seuil de progression"},
    "footer": {"en": "Made with oncodyn {version}.", "fr": "Produit avec oncodyn {version}."},
}


def _t(key: str, lang: str, **kw: Any) -> str:
    text = _T[key][lang].format(**kw) if kw else _T[key][lang]
    return french_punctuation(text) if lang == "fr" else text


def _resp(code: Any, lang: str) -> str:
    return RESPONSE_WORDS.get(str(code), {"en": str(code), "fr": str(code)})[lang]


def _mm(x: float, lang: str) -> str:
    return quantity(x, "mm", lang, 0)


def _wk(day: float) -> str:
    return str(int(round(float(day) / DAYS_PER_WEEK)))


def case_facts(result: Any, subject: Any) -> dict[str, Any]:
    """The numbers a report is written from, for one subject of a RECIST result.

    Days count from the RECIST reference day (day 0: the reference date, else the baseline scan);
    the baseline sum is placed at day 0.
    """
    sid = str(subject)
    br = result.best_response
    rows = br[br["subject_id"].astype(str) == sid]
    if rows.empty:
        from ..errors import DataError

        raise DataError(f"subject {sid!r} is not in this result")
    row = rows.iloc[0]
    tp = result.timepoints
    tp = tp[tp["subject_id"].astype(str) == sid].sort_values("tp")
    perf = tp[tp["performed"].astype(bool)] if "performed" in tp.columns else tp
    facts: dict[str, Any] = {"subject": sid, "n_scans": int(len(perf)) + 1,
                             "bor": str(row["bor"]), "confirmed": bool(row.get("confirmed", False))}
    base = (pd.to_numeric(perf["baseline_sod_mm"], errors="coerce").dropna()
            if "baseline_sod_mm" in perf.columns else perf.iloc[:0, :0])
    sod = pd.to_numeric(perf["sod_mm"], errors="coerce").to_numpy(float)
    day = pd.to_numeric(perf["day"], errors="coerce").to_numpy(float)
    have = np.isfinite(sod) & np.isfinite(day)
    if len(base) and float(base.iloc[0]) > 0:
        ds = np.concatenate([[0.0], day[have]])
        ss = np.concatenate([[float(base.iloc[0])], sod[have]])
        k = int(np.argmin(ss))
        facts.update(days=ds, sod=ss, base=float(ss[0]), last=float(ss[-1]),
                     last_day=float(ds[-1]), nadir=float(ss[k]), nadir_day=float(ds[k]),
                     change=float(100 * (ss[-1] / ss[0] - 1)))
    new = perf[perf["new_lesions"].astype(str).str.upper().isin(["YES", "Y", "TRUE"])] \
        if "new_lesions" in perf.columns else perf.iloc[:0]
    facts["first_new_day"] = float(new["day"].iloc[0]) if len(new) else None
    pct = pd.to_numeric(perf.get("pct_change_from_baseline"), errors="coerce")
    facts["timepoints"] = [
        {"day": float(d), "overall": str(o), "sod": float(s_), "pct": float(p_)}
        for d, o, s_, p_ in zip(day, perf["overall"], sod,
                                pct if pct is not None else [np.nan] * len(perf), strict=True)]
    return facts


def case_paragraphs(facts: dict[str, Any], lang: str, forecast: NextScanForecast | None = None,
                    forecast_error: str | None = None) -> list[tuple[str, list[str]]]:
    """The report as (heading, paragraphs) in ``lang``."""
    check_lang(lang)
    scans = []
    if "base" in facts:
        scans.append(_t("scans", lang, n=facts["n_scans"], base=_mm(facts["base"], lang),
                        wk_last=_wk(facts["last_day"]), last=_mm(facts["last"], lang),
                        chg=percent(facts["change"], lang, 0, signed=True),
                        nadir=_mm(facts["nadir"], lang), wk_nadir=_wk(facts["nadir_day"])))
    else:
        scans.append(_t("scans_short", lang, n=facts["n_scans"]))
    if facts.get("first_new_day") is not None:
        scans.append(_t("new", lang, wk=_wk(facts["first_new_day"])))
    recist = [_t("recist_rules", lang)]
    for p in facts["timepoints"]:
        if np.isfinite(p["sod"]) and np.isfinite(p["pct"]):
            recist.append(_t("tp", lang, wk=_wk(p["day"]), resp=_resp(p["overall"], lang),
                             sod=_mm(p["sod"], lang), chg=percent(p["pct"], lang, 0, signed=True)))
        else:
            recist.append(_t("tp_nosum", lang, wk=_wk(p["day"]), resp=_resp(p["overall"], lang)))
    recist.append(_t("bor", lang, resp=_resp(facts["bor"], lang),
                     conf=_T["confirmed"][lang] if facts["confirmed"] and facts["bor"] in ("CR", "PR")
                     else ""))
    if forecast is not None:
        nxt = [_t("next", lang, wk=_wk(forecast.t_next),
                  point=_mm(forecast.point, lang), lo80=_mm(forecast.lo80, lang),
                  hi80=_mm(forecast.hi80, lang), lo95=_mm(forecast.lo95, lang),
                  hi95=_mm(forecast.hi95, lang), ppd=percent(100 * forecast.p_pd, lang, 0)),
               _t("next_method", lang, model=MODEL_NAMES.get(forecast.model, forecast.model),
                  n=forecast.n_cohort, k=forecast.n_scans)]
    else:
        nxt = [_t("next_none", lang, reason=forecast_error or "-")]
    return [(_t("h_scans", lang), scans), (_t("h_recist", lang), recist),
            (_t("h_next", lang), nxt), (_t("h_chemo", lang), [_t("chemo", lang)])]


def case_figure(facts: dict[str, Any], lang: str, forecast: NextScanForecast | None = None) -> Any:
    """The patient's sum of target diameters over time, with the forecast band when given."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.6), layout="constrained")
    ax = fig.add_subplot()
    if "sod" in facts:
        w = np.asarray(facts["days"]) / DAYS_PER_WEEK
        ax.plot(w, facts["sod"], "o-", color="#0072B2", label=_t("fig_obs", lang))
        thr = max(1.2 * facts["nadir"], facts["nadir"] + 5.0)
        ax.axhline(thr, ls="--", color="#D55E00", lw=1, label=_t("fig_pd", lang))
    if forecast is not None and forecast.curve_t:
        ct = np.asarray(forecast.curve_t) / DAYS_PER_WEEK
        ax.fill_between(ct, forecast.curve_lo, forecast.curve_hi, color="#56B4E9", alpha=0.3,
                        lw=0, label=_t("fig_fc", lang))
        ax.plot(ct, forecast.curve_mid, color="#56B4E9")
        wn = forecast.t_next / DAYS_PER_WEEK
        ax.errorbar([wn], [forecast.point],
                    yerr=[[forecast.point - forecast.lo95], [forecast.hi95 - forecast.point]],
                    fmt="s", color="#009E73", capsize=4, label=_t("fig_next", lang))
    ax.set_xlabel(_t("fig_x", lang))
    ax.set_ylabel(_t("fig_y", lang))
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small", frameon=False)
    ax.grid(color="0.92")
    if lang == "fr":
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}".replace(".", ",")))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}".replace(".", ",")))
    return fig


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def case_html(facts: dict[str, Any], lang: str, forecast: NextScanForecast | None = None,
              forecast_error: str | None = None) -> str:
    """A self-contained HTML page (figure embedded as PNG, no external resource)."""
    from .. import __version__

    sections = case_paragraphs(facts, lang, forecast, forecast_error)
    img = base64.b64encode(_png(case_figure(facts, lang, forecast))).decode("ascii")
    body = [f"<h1>{html.escape(_t('title', lang, sid=facts['subject']))}</h1>",
            f"<p class='disclaimer'><strong>{html.escape(_t('disclaimer', lang))}</strong></p>"]
    for i, (head, paras) in enumerate(sections):
        body.append(f"<h2>{html.escape(head)}</h2>")
        body += [f"<p>{html.escape(p)}</p>" for p in paras]
        if i == 0:
            body.append(f"<img alt='{html.escape(_t('fig_y', lang))}' "
                        f"src='data:image/png;base64,{img}'>")
    body.append(f"<p class='footer'>{html.escape(_t('footer', lang, version=__version__))}</p>")
    style = ("body{font-family:sans-serif;max-width:46em;margin:2em auto;line-height:1.5}"
             ".disclaimer{border-left:4px solid #D55E00;padding-left:.8em}"
             "img{max-width:100%}.footer{color:#666;font-size:.85em}")
    return (f"<!DOCTYPE html>\n<html lang='{lang}'><head><meta charset='utf-8'>"
            f"<title>{html.escape(_t('title', lang, sid=facts['subject']))}</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def case_pdf(facts: dict[str, Any], lang: str, forecast: NextScanForecast | None = None,
             forecast_error: str | None = None) -> bytes:
    """The same report as a PDF (A4 pages drawn with matplotlib: no extra dependency)."""
    import textwrap

    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    from .. import __version__

    sections = case_paragraphs(facts, lang, forecast, forecast_error)
    lines: list[tuple[str, str]] = [("h1", _t("title", lang, sid=facts["subject"])),
                                    ("b", _t("disclaimer", lang))]
    for head, paras in sections:
        lines.append(("h2", head))
        lines += [("p", p) for p in paras]
    lines.append(("s", _t("footer", lang, version=__version__)))
    buf = io.BytesIO()
    with PdfPages(buf) as pdf:
        fig = Figure(figsize=(8.27, 11.69))
        y = 0.95
        for kind, text in lines:
            size = {"h1": 15, "h2": 12, "p": 9.5, "b": 9.5, "s": 8}[kind]
            wrapped = textwrap.wrap(text, 95 if kind in ("p", "b", "s") else 70)
            need = (len(wrapped) + 0.8) * size * 1.45 / (11.69 * 72)
            if y - need < 0.05:
                pdf.savefig(fig)
                fig, y = Figure(figsize=(8.27, 11.69)), 0.95
            for w in wrapped:
                fig.text(0.08, y, w, fontsize=size,
                         weight="bold" if kind in ("h1", "h2", "b") else "normal", va="top")
                y -= size * 1.45 / (11.69 * 72)
            y -= 0.6 * size / (11.69 * 72)
        pdf.savefig(fig)
        pdf.savefig(case_figure(facts, lang, forecast))
    return buf.getvalue()
