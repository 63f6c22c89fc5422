"""Words of the story demo, in English and French: figure labels and the plain-language summaries.

French follows French typography: decimal comma, a non-breaking space (U+00A0) before ``%``,
``:``, ``;``, ``!`` and ``?`` (Imprimerie nationale, *Lexique des règles typographiques en usage
à l'Imprimerie nationale*), and French words for every label of the French figures.
"""

from __future__ import annotations

import re
from typing import Any

NBSP = "\u00a0"
LANGS = ("en", "fr")


def french_typography(text: str) -> str:
    """Decimal commas and non-breaking spaces before ``% : ; ! ?`` (code spans left alone).

    >>> french_typography("14 % ; 1.06 fois : oui")
    '14\\xa0% ;\\xa01,06 fois\\xa0: oui'
    """
    parts = re.split(r"(`[^`]*`|RECIST 1\.1)", text)  # code spans and the guideline's version
    for i in range(0, len(parts), 2):  # even parts are outside them
        p = re.sub(r"(?<=\d)\.(?=\d)", ",", parts[i])
        p = re.sub(r"(?<=\d)%", NBSP + "%", p)
        p = re.sub(r" ([%:;!?])", NBSP + r"\1", p)
        p = re.sub(r"(?<![\w-])-(?=\d)", "\u2212", p)  # minus sign, not a hyphen
        parts[i] = p
    return "".join(parts)


def pct(x: float | None, lang: str) -> str:
    """A share as a whole percentage, in the language's typography ("14%", "14 %")."""
    if x is None:
        return "n/a" if lang == "en" else "n.d."
    return f"{100 * x:.0f}%" if lang == "en" else f"{100 * x:.0f}{NBSP}%"


def num(x: float | None, fmt: str, lang: str) -> str:
    """A number with ``fmt``, decimal comma in French; ``None`` reads "n/a" / "n.d."."""
    if x is None:
        return "n/a" if lang == "en" else "n.d."
    s = format(x, fmt)
    return s if lang == "en" else s.replace(".", ",")


#: Labels of the figures, per language (``{}`` fields are filled with ``str.format``).
LABELS: dict[str, dict[str, str]] = {
    "en": {
        "weeks": "weeks since start of treatment",
        "weeks_doc": "weeks since start of docetaxel",
        "median": "median", "mean": "mean",
        "docetaxel": "docetaxel", "untreated": "untreated",
        "on_docetaxel_share": "on docetaxel (shade ∝ share of patients)",
        "brake_y": "sum of lesion diameters / baseline (log scale)",
        "brake_title": "Chemotherapy is a brake, not an eraser: NSCLC, docetaxel 75 mg/m² q3w until "
                       "progression\n{n} virtual patients, the same patients untreated (seed {seed}); "
                       "bands: inter-quartile range",
        "bor_title": "Best overall response (RECIST 1.1)",
        "ref_lines": "−30% (PR) / +20% (PD)",
        "waterfall_y": "best change in sum of diameters (%)",
        "waterfall_x": "patients, sorted",
        "waterfall_missing": " ({k} without a % change, not shown)",
        "waterfall_title": "Same drug, same dose, different tumours: best response of {n} virtual "
                           "NSCLC patients on docetaxel\nCR {CR}, PR {PR}, SD {SD}, PD {PD}, NE {NE} "
                           "(RECIST 1.1; a bar below −30% can be SD: unconfirmed, or non-target "
                           "progression)",
        "clip": "{k} {what} above +{top:.0f}% not shown (max {max:+.0f}%)",
        "bars": "bar(s)", "points": "point(s)",
        "spider_y": "change in sum of diameters from baseline (%)",
        "spider_title": "Each line one patient (first {k}): change of the RECIST target sum at each "
                        "6-weekly scan, up to the first progression",
        "scan": "scan", "progression": "overall progression (PD)",
        "regrow_continued": "docetaxel continued",
        "regrow_stopped": "stopped at progression",
        "regrow_untreated": "untreated (same patient)",
        "regrow_on": "on docetaxel (stop-at-PD course)",
        "nadir": "nadir",
        "regrow_y": "burden / baseline",
        "regrow_panel": "patient {i}: nadir {pct:+.0f}% at week {wk:.0f}",
        "regrow_title": "Resistance and regrowth: the tumour shrinks, bottoms out (▼) and regrows "
                        "although docetaxel continues all year (solid);\nthe regrowth parallels the "
                        "untreated course (dashed): resistant cells grow as if untreated. Shaded: on "
                        "docetaxel in the usual stop-at-progression course (dotted),\nwhich overlaps "
                        "the solid line once the sensitive cells are gone. Steps: a new lesion seen "
                        "at a scan.",
        "course_ebrt": "external beam {n} × {d} Gy",
        "course_hdr": "HDR brachytherapy {n} × {d} Gy",
        "arm_chemo": "chemotherapy alone",
        "arm_ebrt40": "+ external beam 40 Gy (lead-in to the boost)",
        "arm_boost": "+ external beam 40 Gy + HDR boost",
        "arm_ebrt55": "+ external beam 55 Gy (radical, no boost)",
        "rt_y": "measured diameter / baseline",
        "rt_share_y": "share of primaries visible on CT",
        "rt_primary": "primary tumour (aimed at by radiotherapy), {k} lesions",
        "rt_visible": "local control: primaries visible again",
        "rt_other": "other lesions (nodes, lung, bone; never irradiated), {k} lesions",
        "rt_coincide": "the medians coincide:\nradiotherapy acts only where it is aimed",
        "rt_title": "Bladder cancer, chemotherapy (2 cycles) with or without radiotherapy to the "
                    "primary, {n} virtual patients, virtual CT every {w} weeks; deaths not simulated "
                    "here (lesions, not patients)\nEQD2 (α/β = 10): lead-in 20 × 2 Gy = {e40:.0f} Gy; "
                    "with the HDR boost {eboost:.0f} Gy; radical 20 × 2.75 Gy = {e55:.0f} Gy; "
                    "bands: inter-quartile ranges",
        "sym_background": "background (non-cancer)",
        "sym_tumour": "tumour (site-weighted)",
        "sym_chemo": "chemotherapy side effects (fatigue, nausea...)",
        "sym_rt": "acute radiotherapy toxicity",
        "sym_total": "mean symptom score",
        "sym_mid": "baseline ± MID ({mid:g} points)",
        "sym_untreated": "mean score, same patients untreated",
        "sym_y": "symptom burden (0-100, higher = worse)",
        "sym_neut": "grade ≥ 3 neutropenia, % of patients (right axis): a blood count, not a "
                    "symptom",
        "sym_neut_y": "grade ≥ 3 neutropenia (% of patients)",
        "sym_nsclc": "NSCLC, docetaxel until progression ({n} patients)",
        "sym_bladder": "bladder, chemoradiation + HDR boost ({n} patients)",
        "sym_title": "Symptoms (illustrative index, 0-100, EORTC QLQ-C30 direction; MID 10 points, "
                     "Osoba 1998): shrinking tumours relieve symptoms,\ntreatment adds side effects; "
                     "early weeks are dominated by side effects, later weeks by the tumour",
        "months": "months since start of treatment",
        "os": "overall survival", "pfs": "progression-free survival",
        "surv_y": "share of patients",
        "at_risk": "at risk",
        "surv_arm": "{arm}: median {m} months",
        "surv_title": "Survival of the same {n} virtual NSCLC patients with and without docetaxel "
                      "(seed {seed}): a modest gain, not a cure\nOS median {os_t} vs {os_u} months; "
                      "PFS median {pfs_t} vs {pfs_u} months (Kaplan–Meier; ticks: censored)",
    },
    "fr": {
        "weeks": "semaines depuis le début du traitement",
        "weeks_doc": "semaines depuis le début du docétaxel",
        "median": "médiane", "mean": "moyenne",
        "docetaxel": "docétaxel", "untreated": "sans traitement",
        "on_docetaxel_share": "sous docétaxel (teinte ∝ part des patients)",
        "brake_y": "somme des diamètres / valeur initiale (échelle log)",
        "brake_title": "La chimiothérapie freine, elle n'efface pas : CBNPC, docétaxel 75 mg/m² "
                       "toutes les 3 semaines jusqu'à progression\n{n} patients virtuels, les mêmes "
                       "sans traitement (graine {seed}) ; bandes : écart interquartile",
        "bor_title": "Meilleure réponse globale (RECIST 1.1)",
        "ref_lines": "−30 % (RP) / +20 % (MP)",
        "waterfall_y": "meilleure variation de la somme des diamètres (%)",
        "waterfall_x": "patients, triés",
        "waterfall_missing": " ({k} sans variation en %, non montrés)",
        "waterfall_title": "Même médicament, même dose, tumeurs différentes : meilleure réponse de "
                           "{n} patients virtuels (CBNPC, docétaxel)\nRC {CR}, RP {PR}, MS {SD}, "
                           "MP {PD}, NE {NE} (RECIST 1.1 ; une barre sous −30 % peut être une MS : "
                           "réponse non confirmée ou progression non cible)",
        "clip": "{k} {what} au-dessus de +{top:.0f} % non montrés (max. {max:+.0f} %)",
        "bars": "barre(s)", "points": "point(s)",
        "spider_y": "variation de la somme des diamètres (%)",
        "spider_title": "Une ligne par patient ({k} premiers) : variation de la somme des cibles "
                        "RECIST à chaque scanner (toutes les 6 semaines), jusqu'à la première "
                        "progression",
        "scan": "scanner", "progression": "progression globale (MP)",
        "regrow_continued": "docétaxel poursuivi",
        "regrow_stopped": "arrêté à la progression",
        "regrow_untreated": "sans traitement (même patient)",
        "regrow_on": "sous docétaxel (arrêt à la progression)",
        "nadir": "nadir",
        "regrow_y": "charge / valeur initiale",
        "regrow_panel": "patient {i} : nadir {pct:+.0f} % à la semaine {wk:.0f}",
        "regrow_title": "Résistance et repousse : la tumeur diminue, atteint un minimum (▼) et "
                        "repousse alors que le docétaxel continue toute l'année (trait plein) ;\nla "
                        "repousse suit la courbe sans traitement (tirets) : les cellules résistantes "
                        "croissent comme sans traitement. Grisé : sous docétaxel avec arrêt à la "
                        "progression (pointillés),\nconfondu avec le trait plein une fois les cellules "
                        "sensibles disparues. Marches : une nouvelle lésion vue au scanner.",
        "course_ebrt": "radiothérapie externe {n} × {d} Gy",
        "course_hdr": "curiethérapie HDR {n} × {d} Gy",
        "arm_chemo": "chimiothérapie seule",
        "arm_ebrt40": "+ radiothérapie externe 40 Gy (avant complément)",
        "arm_boost": "+ radiothérapie externe 40 Gy + curiethérapie HDR",
        "arm_ebrt55": "+ radiothérapie externe 55 Gy (à visée curative, sans complément)",
        "rt_y": "diamètre mesuré / valeur initiale",
        "rt_share_y": "part des tumeurs primitives visibles au scanner",
        "rt_primary": "tumeur primitive (visée par la radiothérapie), {k} lésions",
        "rt_visible": "contrôle local : tumeurs primitives de nouveau visibles",
        "rt_other": "autres lésions (ganglions, poumon, os ; jamais irradiées), {k} lésions",
        "rt_coincide": "les médianes se confondent :\nla radiothérapie n'agit que là où elle vise",
        "rt_title": "Cancer de la vessie, chimiothérapie (2 cycles) avec ou sans radiothérapie de la "
                    "tumeur primitive, {n} patients virtuels, scanner virtuel toutes les {w} semaines ; "
                    "décès non simulés ici (lésions, pas patients)\nEQD2 (α/β = 10) : 20 × 2 Gy = {e40:.0f} Gy ; "
                    "avec la curiethérapie HDR {eboost:.0f} Gy ; visée curative 20 × 2.75 Gy = "
                    "{e55:.0f} Gy ; bandes : écarts interquartiles",
        "sym_background": "fond (hors cancer)",
        "sym_tumour": "tumeur (pondérée par site)",
        "sym_chemo": "effets indésirables de la chimiothérapie (fatigue, nausées…)",
        "sym_rt": "toxicité aiguë de la radiothérapie",
        "sym_total": "score moyen de symptômes",
        "sym_mid": "valeur initiale ± DMI ({mid:g} points)",
        "sym_untreated": "score moyen, mêmes patients sans traitement",
        "sym_y": "charge symptomatique (0-100, plus haut = pire)",
        "sym_neut": "neutropénie de grade ≥ 3, % des patients (axe de droite) : une numération, "
                    "pas un symptôme",
        "sym_neut_y": "neutropénie de grade ≥ 3 (% des patients)",
        "sym_nsclc": "CBNPC, docétaxel jusqu'à progression ({n} patients)",
        "sym_bladder": "vessie, radiochimiothérapie + curiethérapie HDR ({n} patients)",
        "sym_title": "Symptômes (indice illustratif 0-100, sens de l'EORTC QLQ-C30 ; DMI 10 points, "
                     "Osoba 1998) : la fonte tumorale soulage,\nle traitement ajoute des effets "
                     "indésirables ; les premières semaines sont dominées par les effets indésirables, "
                     "les suivantes par la tumeur",
        "months": "mois depuis le début du traitement",
        "os": "survie globale", "pfs": "survie sans progression",
        "surv_y": "part des patients",
        "at_risk": "effectifs à risque",
        "surv_arm": "{arm} : médiane {m} mois",
        "surv_title": "Survie des mêmes {n} patients virtuels (CBNPC) avec et sans docétaxel "
                      "(graine {seed}) : un gain modeste, pas une guérison\nSG médiane {os_t} contre "
                      "{os_u} mois ; SSP médiane {pfs_t} contre {pfs_u} mois (Kaplan-Meier ; "
                      "traits : censures)",
    },
}

#: Response categories as written in each language (RECIST codes in English; French usage:
#: RC réponse complète, RP réponse partielle, MS maladie stable, MP maladie progressive).
RESPONSE_WORDS = {"en": {"CR": "CR", "PR": "PR", "SD": "SD", "PD": "PD", "NE": "NE",
                         "NON-CR/NON-PD": "NON-CR/NON-PD"},
                  "fr": {"CR": "RC", "PR": "RP", "SD": "MS", "PD": "MP", "NE": "NE",
                         "NON-CR/NON-PD": "ni RC ni MP"}}


def label(lang: str, key: str, **fields: Any) -> str:
    """The label ``key`` in ``lang``, formatted, with French typography in French."""
    text = LABELS[lang][key].format(**fields) if fields else LABELS[lang][key]
    return french_typography(text) if lang == "fr" else text


def story_markdown(facts: dict[str, Any], lang: str, figures: dict[str, str]) -> str:
    """Plain-language summary (``lang`` "en" or "fr") quoting the numbers in ``facts``.

    ``figures``: figure file name -> caption; French figures live in ``fr/``.
    """
    if lang not in LANGS:
        from ..errors import ConfigError

        raise ConfigError(f"language {lang!r} not available; allowed: {', '.join(LANGS)}")
    n, seed = facts["n_patients"], facts["seed"]
    ns, rs, rt, sy = facts["nsclc"], facts["resistance"], facts["radiotherapy"], facts["symptoms"]
    sv = facts["survival"]
    P = lambda x: pct(x, lang)  # noqa: E731
    F = lambda x, f=".2f": num(x, f, lang)  # noqa: E731
    w12, vis = rt["median_rel_diam_w12"], rt["share_primary_visible_end"]
    irr = {a: w12[a]["aimed at"] for a in w12}
    non = {a: w12[a]["not aimed at"] for a in w12}
    wk = rt["horizon_weeks"]
    sd = sy["nsclc_docetaxel|docetaxel"]
    sb = sy["bladder_chemoradiation_brachy|chemoradiation + HDR boost"]
    sbu = sy["bladder_chemoradiation_brachy|untreated"]
    pfs = F(ns["median_pfs_months"], ".1f")
    c = ns["best_response_counts"]
    os_t, os_u = sv["docetaxel"], sv["untreated"]
    gain = (None if os_t["median_os_months"] is None or os_u["median_os_months"] is None
            else os_t["median_os_months"] - os_u["median_os_months"])
    if ns["share_cr_any_scan"] > 0:
        cr_en = (f"Every lesion disappears from the scans in {P(ns['share_cr_any_scan'])} of "
                 f"patients (a complete response, CR {c['CR']} in the waterfall), yet the model's "
                 f"true tumour burden reaches zero in {P(ns['share_burden_vanished'])}: a lesion "
                 "below what CT can see is still there.")
        cr_fr = (f"Toutes les lésions disparaissent des images chez {P(ns['share_cr_any_scan'])} "
                 f"des patients (réponse complète, RC {c['CR']} dans le graphique en cascade), mais "
                 "la charge tumorale réelle du modèle n'atteint zéro que chez "
                 f"{P(ns['share_burden_vanished'])} : une lésion trop petite pour le scanner est "
                 "toujours là.")
    else:
        cr_en = (f"In no patient does every lesion disappear from the scans (CR {c['CR']} in the "
                 "waterfall).")
        cr_fr = (f"Chez aucun patient toutes les lésions ne disparaissent des images (RC {c['CR']} "
                 "dans le graphique en cascade).")
    figs = ", ".join(f"`{k}`" if lang == "en" else f"`fr/{k}`" for k in figures)
    if lang == "en":
        return f"""# oncodyn: the treatment story in figures

**Research and teaching software, not clinical advice.** These are *virtual* patients from
simulation models whose parameters are partly calibrated on trial data and partly illustrative.
Nothing here predicts what will happen to a real person or should guide a treatment decision.

Cohorts of {n} virtual patients, seed {seed}. Every comparison uses the *same* patients with only
the treatment changed.

1. **Chemotherapy is a brake, not an eraser** (`01_brake_not_eraser.png`). Metastatic lung
   cancer (NSCLC) on docetaxel: after 12 weeks the median tumour burden is
   {F(ns['median_rel_burden_w12_treated'])} times baseline with treatment against
   {F(ns['median_rel_burden_w12_untreated'])} times without. {P(ns['share_any_shrinkage'])} of patients
   see some shrinkage and {P(ns['share_shrink_30pct_true'])} shrink by 30% or more. {cr_en} Objective
   response rate (confirmed CR or PR, RECIST 1.1) {P(ns['orr'])}, median progression-free survival
   {pfs} months.
2. **Responses spread widely** (`02_waterfall.png`, `03_spider.png`): same drug, same dose, very
   different courses, from deep shrinkage to growth at the first scan.
3. **Resistance and regrowth** (`04_resistance_regrowth.png`). Of the {rs['on_docetaxel_all_year']}
   patients kept on docetaxel for the whole year (a what-if: docetaxel continued through
   progression), {rs['shrank_10pct_while_on_docetaxel']} had their tumour burden shrink by 10% or more
   (less than a RECIST response, which needs 30%) and {rs['of_which_regrew_25pct_above_nadir_on_docetaxel']} of
   these regrew to 25% above their lowest point *while still treated*: the drug kills the
   sensitive cells; the resistant ones keep growing at the untreated pace.
4. **Radiotherapy acts where it is aimed** (`05_radiotherapy_targets.png`). Bladder cancer,
   chemotherapy with radiotherapy to the primary tumour. At week 12 the median irradiated tumour
   is {F(irr['chemo'])} times its baseline diameter with chemotherapy alone, {F(irr['ebrt40'])} with
   40 Gy external beam, {F(irr['boost'])} with 40 Gy and a brachytherapy boost and {F(irr['ebrt55'])}
   with a radical 55 Gy course; the lesions outside the field stay at {F(non['chemo'])},
   {F(non['ebrt40'])}, {F(non['boost'])} and {F(non['ebrt55'])}: radiotherapy does nothing to them.
   The 40 Gy course (EQD2 {rt['eqd2_10_gy']['ebrt40']:.0f} Gy) is the lead-in of the boost, not a
   treatment on its own: after it alone the primary is visible again at week {wk:.0f} in
   {P(vis['ebrt40'])} of patients, against {P(vis['ebrt55'])} after the radical 55 Gy course (EQD2
   {rt['eqd2_10_gy']['ebrt55']:.0f} Gy) and {P(vis['boost'])} after the boost (EQD2
   {rt['eqd2_10_gy']['boost']:.0f} Gy; chemotherapy alone: {P(vis['chemo'])}). Deaths are not
   simulated in this figure: it follows lesions, not patients.
5. **Symptoms: relief against side effects** (`06_symptoms.png`). An illustrative 0-100 symptom
   index (higher = worse; a change of 10 points matters, Osoba 1998). On docetaxel the mean
   changes by {sd['mean_change_w2']:+.1f} points at week 2 (side effects; {P(sd['share_worsened_w2'])}
   of patients worse by 10 points or more) and {sd['mean_change_w12']:+.1f} at week 12. Neutropenia,
   a low blood count that raises the risk of infection, is shown apart: it is measured, not felt
   (up to {P(sd['peak_share_neutropenia_g3'])} of patients at grade 3 or 4 in one week). After
   bladder chemoradiation the index changes by {sb['mean_change_w12']:+.1f} points at week 12
   ({P(sb['share_improved_w12'])} improved by 10 points or more) against {sbu['mean_change_w12']:+.1f}
   untreated: shrinking the tumour relieves symptoms once the acute toxicity has settled.
6. **Survival: a modest gain, not a cure** (`07_survival.png`). The same {n} NSCLC patients with
   and without docetaxel: median overall survival {F(os_t['median_os_months'], '.1f')} months (95% CI
   {F(os_t['median_os_ci_months'][0], '.1f')} to {F(os_t['median_os_ci_months'][1], '.1f')}) against
   {F(os_u['median_os_months'], '.1f')} months ({F(os_u['median_os_ci_months'][0], '.1f')} to
   {F(os_u['median_os_ci_months'][1], '.1f')}) untreated, a gain of about {F(gain, '.1f')} months;
   median progression-free survival {F(os_t['median_pfs_months'], '.1f')} against
   {F(os_u['median_pfs_months'], '.1f')} months. At two years {P(os_t['alive_2y'])} of treated and
   {P(os_u['alive_2y'])} of untreated patients are alive: treatment buys time, it does not cure
   metastatic disease. Progression-free survival moves in steps because progression is only seen
   at a scan (every {sv['scan_every_weeks']:.0f} weeks here).

Figures: {figs}. Tables: `brake_burden.csv`, `individual_responses.csv`, `regrowth_examples.csv`,
`lesion_response.csv`, `symptoms_weekly.csv`, `survival.csv`; numbers: `story_facts.json`.
"""
    text = f"""# oncodyn : l'histoire du traitement en figures

**Logiciel de recherche et d'enseignement, pas un avis médical.** Ce sont des patients *virtuels*
issus de modèles de simulation dont les paramètres sont en partie calibrés sur des essais et en
partie illustratifs. Rien ici ne prédit l'évolution d'une personne réelle ni ne doit guider une
décision de traitement.

Cohortes de {n} patients virtuels, graine {seed}. Chaque comparaison porte sur les *mêmes*
patients ; seul le traitement change. Les figures en français sont dans le dossier `fr/`.

1. **La chimiothérapie freine, elle n'efface pas** (`fr/01_brake_not_eraser.png`). Cancer du
   poumon métastatique (CBNPC) sous docétaxel : à 12 semaines, la charge tumorale médiane vaut
   {F(ns['median_rel_burden_w12_treated'])} fois sa valeur initiale avec traitement, contre
   {F(ns['median_rel_burden_w12_untreated'])} fois sans. Les tumeurs diminuent chez
   {P(ns['share_any_shrinkage'])} des patients, de 30 % ou plus chez {P(ns['share_shrink_30pct_true'])}.
   {cr_fr} Taux de réponse objective (RC ou RP confirmée, RECIST 1.1)
   {P(ns['orr'])}, survie sans progression médiane {pfs} mois.
2. **Des réponses très dispersées** (`fr/02_waterfall.png`, `fr/03_spider.png`) : même
   médicament, même dose, des évolutions très différentes, de la fonte profonde à la croissance
   dès le premier scanner.
3. **Résistance et repousse** (`fr/04_resistance_regrowth.png`). Parmi les
   {rs['on_docetaxel_all_year']} patients traités toute l'année (scénario hypothétique : docétaxel
   poursuivi malgré la progression), la charge tumorale de {rs['shrank_10pct_while_on_docetaxel']} a
   diminué d'au moins 10 % (moins qu'une réponse RECIST, qui exige 30 %) et
   {rs['of_which_regrew_25pct_above_nadir_on_docetaxel']} d'entre eux ont repoussé de 25 % au-dessus de
   leur minimum *sous traitement* : le médicament tue les cellules sensibles, les cellules
   résistantes continuent de croître au rythme sans traitement.
4. **La radiothérapie agit là où elle vise** (`fr/05_radiotherapy_targets.png`). Cancer de la
   vessie, chimiothérapie et radiothérapie de la tumeur primitive. À 12 semaines, la tumeur
   irradiée médiane vaut {F(irr['chemo'])} fois son diamètre initial avec la chimiothérapie seule,
   {F(irr['ebrt40'])} fois avec 40 Gy de radiothérapie externe, {F(irr['boost'])} fois avec 40 Gy et
   un complément de curiethérapie, {F(irr['ebrt55'])} fois avec une radiothérapie à visée curative de
   55 Gy ; les lésions hors du champ restent à {F(non['chemo'])}, {F(non['ebrt40'])},
   {F(non['boost'])} et {F(non['ebrt55'])} fois : la radiothérapie ne les touche pas. Les 40 Gy
   (EQD2 {rt['eqd2_10_gy']['ebrt40']:.0f} Gy) préparent le complément et ne constituent pas un
   traitement à eux seuls : après eux seuls, la tumeur primitive est de nouveau visible à la
   semaine {wk:.0f} chez {P(vis['ebrt40'])} des patients, contre {P(vis['ebrt55'])} après 55 Gy (EQD2
   {rt['eqd2_10_gy']['ebrt55']:.0f} Gy) et {P(vis['boost'])} après le complément (EQD2
   {rt['eqd2_10_gy']['boost']:.0f} Gy ; chimiothérapie seule : {P(vis['chemo'])}). Cette figure ne
   simule pas les décès : elle suit des lésions, pas des patients.
5. **Symptômes : soulagement contre effets indésirables** (`fr/06_symptoms.png`). Un indice de
   symptômes illustratif de 0 à 100 (plus haut = pire ; une variation de 10 points est
   cliniquement pertinente, Osoba 1998). Sous docétaxel, la moyenne varie de
   {sd['mean_change_w2']:+.1f} points à la semaine 2 (effets indésirables ;
   {P(sd['share_worsened_w2'])} des patients aggravés d'au moins 10 points) et de
   {sd['mean_change_w12']:+.1f} à la semaine 12. La neutropénie, une baisse des globules blancs qui
   expose aux infections, est montrée à part : elle se mesure, elle ne se ressent pas (jusqu'à
   {P(sd['peak_share_neutropenia_g3'])} des patients en grade 3 ou 4 une même semaine). Après la
   radiochimiothérapie de la vessie, l'indice varie de {sb['mean_change_w12']:+.1f} points à la
   semaine 12 ({P(sb['share_improved_w12'])} des patients améliorés d'au moins 10 points), contre
   {sbu['mean_change_w12']:+.1f} sans traitement : la fonte tumorale soulage une fois la toxicité
   aiguë passée.
6. **Survie : un gain modeste, pas une guérison** (`fr/07_survival.png`). Les mêmes {n} patients
   atteints de CBNPC avec et sans docétaxel : survie globale médiane de
   {F(os_t['median_os_months'], '.1f')} mois (IC à 95 % {F(os_t['median_os_ci_months'][0], '.1f')} à
   {F(os_t['median_os_ci_months'][1], '.1f')}) contre {F(os_u['median_os_months'], '.1f')} mois
   ({F(os_u['median_os_ci_months'][0], '.1f')} à {F(os_u['median_os_ci_months'][1], '.1f')}) sans
   traitement, soit environ {F(gain, '.1f')} mois de plus ; survie sans progression médiane de
   {F(os_t['median_pfs_months'], '.1f')} contre {F(os_u['median_pfs_months'], '.1f')} mois. À deux
   ans, {P(os_t['alive_2y'])} des patients traités et {P(os_u['alive_2y'])} des patients non traités
   sont en vie : le traitement fait gagner du temps, il ne guérit pas la maladie métastatique.
   La survie sans progression évolue par paliers, car une progression n'est constatée qu'au
   scanner (toutes les {sv['scan_every_weeks']:.0f} semaines ici).

Figures : {figs}. Tableaux : `brake_burden.csv`, `individual_responses.csv`,
`regrowth_examples.csv`, `lesion_response.csv`, `symptoms_weekly.csv`, `survival.csv` ;
chiffres : `story_facts.json`.
"""
    return french_typography(text)
