"""Every word the web app shows, in English and in French.

``t(key, lang, **values)`` returns the text of ``key`` in ``lang`` with ``{name}`` fields filled;
numbers are formatted by the caller with :mod:`oncodyn.report.typography` so the French reads
"14 %" and "1,5 Gy". French punctuation spaces are added by :func:`t` itself.
A test checks that both languages have every key and the same ``{fields}``.
"""

from __future__ import annotations

from ..report.typography import check_lang, french_punctuation

LANG_NAMES = {"en": "English", "fr": "Français"}

TEXT: dict[str, dict[str, str]] = {
    "app_title": {"en": "oncodyn: tumour dynamics under treatment",
                  "fr": "oncodyn : la dynamique des tumeurs sous traitement"},
    "language": {"en": "Language", "fr": "Langue"},
    "disclaimer": {
        "en": "Research and teaching software, not a clinical decision tool. Nothing shown here "
              "may be used to choose, change or stop a real patient's treatment.",
        "fr": "Logiciel de recherche et d'enseignement, pas un outil d'aide à la décision "
              "clinique. Rien de ce qui est affiché ici ne doit servir à choisir, modifier ou "
              "arrêter le traitement d'un vrai patient."},
    "story": {"en": "Chemotherapy is a brake on metastases, not an eraser.",
              "fr": "La chimiothérapie freine les métastases, elle ne les efface pas."},
    # pages
    "page_patient": {"en": "Patient", "fr": "Patient"},
    "page_scenario": {"en": "Scenario", "fr": "Scénario"},
    "page_trial": {"en": "Trial", "fr": "Essai"},
    "page_radiation": {"en": "Radiation", "fr": "Radiothérapie"},
    # patient page
    "patient_intro": {
        "en": "Load lesion measurements (a lesion table in CSV or Parquet, or an SDTM TU + TR "
              "pair), or pick the bundled example, to see the RECIST 1.1 evaluation of each scan.",
        "fr": "Chargez des mesures de lésions (un tableau des lésions en CSV ou Parquet, ou une "
              "paire SDTM TU + TR), ou prenez l'exemple fourni, pour voir l'évaluation RECIST 1.1 "
              "de chaque examen."},
    "source": {"en": "Data", "fr": "Données"},
    "source_example": {"en": "Bundled example (virtual patients)",
                       "fr": "Exemple fourni (patients virtuels)"},
    "example_source": {"en": "the bundled example ({n} virtual patients, preset {preset}, seed {seed})",
                       "fr": "l'exemple fourni ({n} patients virtuels, scénario {preset}, graine {seed})"},
    "source_upload": {"en": "Upload files", "fr": "Importer des fichiers"},
    "upload_label": {"en": "Lesion table (.csv, .parquet) or SDTM tu.* + tr.* (+ dm.*)",
                     "fr": "Tableau des lésions (.csv, .parquet) ou SDTM tu.* + tr.* (+ dm.*)"},
    "upload_limit": {"en": "At most {mb} MB per upload. Files are read in memory (or a private "
                           "temporary folder) and not kept.",
                     "fr": "Au plus {mb} Mo par envoi. Les fichiers sont lus en mémoire (ou "
                           "dans un dossier temporaire privé) et ne sont pas conservés."},
    "upload_error": {"en": "This file could not be used: {message}",
                     "fr": "Ce fichier n'a pas pu être utilisé : {message}"},
    "unexpected_error": {
        "en": "Something went wrong while processing this request ({kind}). The app keeps "
              "working; check the file and try again.",
        "fr": "Un problème est survenu pendant le traitement ({kind}). L'application continue "
              "de fonctionner ; vérifiez le fichier et réessayez."},
    "progress_read": {"en": "Reading the files", "fr": "Lecture des fichiers"},
    "progress_recist": {"en": "Evaluating RECIST 1.1", "fr": "Évaluation RECIST 1.1"},
    "progress_plots": {"en": "Drawing the figures", "fr": "Tracé des figures"},
    "cleaning": {"en": "Data check", "fr": "Vérification des données"},
    "cleaning_summary": {
        "en": "{rows} lesion rows read from {source}; {subjects} patients; {messages} "
              "message(s) from the RECIST engine (below).",
        "fr": "{rows} lignes de lésions lues dans {source} ; {subjects} patients ; "
              "{messages} message(s) du moteur RECIST (ci-dessous, en anglais)."},
    "timepoints": {"en": "Response at each scan (with the reason)",
                   "fr": "Réponse à chaque examen (avec sa justification)"},
    "best_response": {"en": "Best overall response", "fr": "Meilleure réponse globale"},
    "choose_patient": {"en": "Patient", "fr": "Patient"},
    "spider": {"en": "Change in the sum of diameters over time",
               "fr": "Évolution de la somme des diamètres"},
    "waterfall": {"en": "Best change from baseline, one bar per patient",
                  "fr": "Meilleure évolution depuis l'examen initial, une barre par patient"},
    "forecast": {"en": "What the model expects next", "fr": "Ce que le modèle prévoit ensuite"},
    "forecast_text": {
        "en": "At the next scan, around week {weeks} after the first scan: sum of diameters about {point} (80% interval "
              "{lo80} to {hi80}; 95% interval {lo95} to {hi95}). Probability that this scan "
              "meets the RECIST size rule for progression: {ppd}.",
        "fr": "Au prochain examen, vers la semaine {weeks} après le premier examen : somme des diamètres d'environ {point} "
              "(intervalle à 80 % de {lo80} à {hi80} ; à 95 % de {lo95} à {hi95}). "
              "Probabilité que cet examen atteigne le seuil de taille de la progression "
              "selon RECIST : {ppd}."},
    "forecast_unavailable": {"en": "No forecast for this patient: {message}",
                             "fr": "Pas de prévision pour ce patient : {message}"},
    "download_report": {"en": "Download this patient's report ({fmt})",
                        "fr": "Télécharger le compte rendu de ce patient ({fmt})"},
    # scenario page
    "scenario_intro": {
        "en": "Simulate virtual patients under a treatment scenario. Every preset value is "
              "tagged in its file as taken from the literature, calibrated or illustrative.",
        "fr": "Simulez des patients virtuels sous un scénario de traitement. Chaque valeur "
              "des scénarios prédéfinis est marquée dans son fichier comme issue de la "
              "littérature, calibrée ou illustrative."},
    "preset": {"en": "Preset", "fr": "Scénario prédéfini"},
    "dose": {"en": "Chemotherapy dose (mg/m²)", "fr": "Dose de chimiothérapie (mg/m²)"},
    "cycle_days": {"en": "Days between cycles", "fr": "Jours entre deux cures"},
    "n_cycles": {"en": "Number of cycles (0 = until progression)",
                 "fr": "Nombre de cures (0 = jusqu'à progression)"},
    "imaging": {"en": "Imaging schedule", "fr": "Calendrier d'imagerie"},
    "policy": {"en": "Strategy", "fr": "Stratégie"},
    "radiotherapy": {"en": "Radiotherapy and brachytherapy", "fr": "Radiothérapie et curiethérapie"},
    "rt_keep": {"en": "Keep the preset's radiotherapy courses",
                "fr": "Garder les traitements de radiothérapie du scénario"},
    "rt_dose": {"en": "Dose per fraction of course {name} (Gy)",
                "fr": "Dose par fraction du traitement {name} (Gy)"},
    "rt_fractions": {"en": "Fractions of course {name}",
                     "fr": "Nombre de fractions du traitement {name}"},
    "patients": {"en": "Virtual patients", "fr": "Patients virtuels"},
    "seed": {"en": "Random seed (same seed, same result)",
             "fr": "Graine aléatoire (même graine, même résultat)"},
    "run": {"en": "Run", "fr": "Lancer"},
    "running": {"en": "Simulating {n} virtual patients", "fr": "Simulation de {n} patients virtuels"},
    "orr": {"en": "Objective response (CR + PR)", "fr": "Réponse objective (RC + RP)"},
    "dcr": {"en": "Disease control", "fr": "Contrôle de la maladie"},
    "median_pfs": {"en": "Median PFS", "fr": "SSP médiane"},
    "median_os": {"en": "Median OS", "fr": "SG médiane"},
    "months": {"en": "months", "fr": "mois"},
    "burden": {"en": "Tumour burden", "fr": "Charge tumorale"},
    "km_pfs": {"en": "Progression-free survival", "fr": "Survie sans progression"},
    "km_os": {"en": "Overall survival", "fr": "Survie globale"},
    "symptoms": {"en": "Symptom score from 0 to 100 (higher is worse; illustrative weights)",
                 "fr": "Score de symptômes de 0 à 100 (plus il est élevé, plus la gêne est "
                       "forte ; pondérations illustratives)"},
    "invalid_scenario": {"en": "These settings are not valid: {message}",
                         "fr": "Ces réglages ne sont pas valides : {message}"},
    # trial page
    "trial_intro": {
        "en": "Two arms of virtual patients, randomised: Kaplan–Meier curves by arm, hazard "
              "ratios and the difference in response rate.",
        "fr": "Deux bras de patients virtuels, tirés au sort : courbes de Kaplan–Meier par "
              "bras, rapports de risques instantanés et différence de taux de réponse."},
    "arm": {"en": "Arm {k}", "fr": "Bras {k}"},
    "arm_dose_scale": {"en": "Dose (% of the preset's dose; 0 = untreated)",
                       "fr": "Dose (% de la dose du scénario ; 0 = sans traitement)"},
    "per_arm": {"en": "Patients per arm", "fr": "Patients par bras"},
    "hr": {"en": "Hazard ratio, {what} (arm B vs arm A)",
           "fr": "Rapport des risques instantanés, {what} (bras B contre bras A)"},
    "ci95": {"en": "95% confidence interval {lo} to {hi}",
             "fr": "intervalle de confiance à 95 % de {lo} à {hi}"},
    "logrank": {"en": "log-rank test: p = {p}", "fr": "test du log-rank : p = {p}"},
    "orr_diff": {"en": "Difference in objective response (B − A)",
                 "fr": "Différence de réponse objective (B − A)"},
    "at_risk": {"en": "At risk", "fr": "À risque"},
    # radiation page
    "radiation_intro": {
        "en": "Biologically effective dose (BED) and equivalent dose in 2-Gy fractions (EQD2) of "
              "external beam and brachytherapy, summed (linear-quadratic model).",
        "fr": "Dose biologique efficace (BED) et dose équivalente en fractions de 2 Gy (EQD2) "
              "de la radiothérapie externe et de la curiethérapie, additionnées (modèle "
              "linéaire-quadratique)."},
    "alpha_beta": {"en": "α/β (Gy): 10 for tumour, 3 for late-reacting tissue",
                   "fr": "α/β (Gy) : 10 pour la tumeur, 3 pour les tissus à réaction tardive"},
    "ebrt": {"en": "External beam", "fr": "Radiothérapie externe"},
    "brachy": {"en": "Brachytherapy", "fr": "Curiethérapie"},
    "brachy_kind": {"en": "Brachytherapy type", "fr": "Type de curiethérapie"},
    "none": {"en": "none", "fr": "aucune"},
    "hdr": {"en": "high dose rate (fractions)", "fr": "haut débit de dose (fractionnée)"},
    "ldr": {"en": "low dose rate (continuous)", "fr": "bas débit de dose (continue)"},
    "fractions": {"en": "Fractions", "fr": "Fractions"},
    "dose_per_fraction": {"en": "Dose per fraction (Gy)", "fr": "Dose par fraction (Gy)"},
    "dose_rate": {"en": "Dose rate (Gy/h)", "fr": "Débit de dose (Gy/h)"},
    "duration": {"en": "Duration (h)", "fr": "Durée (h)"},
    "bed_result": {"en": "Total BED {bed}, EQD2 {eqd2} (α/β = {ab}).",
                   "fr": "BED totale {bed}, EQD2 {eqd2} (α/β = {ab})."},
    "radiation_note": {
        "en": "Summing courses assumes full repair between them; BED of continuous low dose "
              "rate uses incomplete repair (Dale 1985).",
        "fr": "L'addition des traitements suppose une réparation complète entre eux ; la BED "
              "du bas débit continu tient compte d'une réparation incomplète (Dale 1985)."},
    "col_course": {"en": "Course", "fr": "Traitement"},
    "col_schedule": {"en": "Schedule", "fr": "Schéma"},
    "col_total_dose": {"en": "Total dose (Gy)", "fr": "Dose totale (Gy)"},
    # figure chooser (only the chosen figure is drawn: each interaction stays fast)
    "figure": {"en": "Figure", "fr": "Figure"},
    "fig_burden": {"en": "Tumour burden", "fr": "Charge tumorale"},
    "fig_waterfall": {"en": "Waterfall", "fr": "Meilleure évolution par patient"},
    "fig_pfs": {"en": "Progression-free survival", "fr": "Survie sans progression"},
    "fig_os": {"en": "Overall survival", "fr": "Survie globale"},
    "fig_symptoms": {"en": "Symptoms", "fr": "Symptômes"},
    "fig_spider": {"en": "Sum of diameters over time", "fr": "Somme des diamètres au fil du temps"},
    "report_pdf_note": {"en": "The report is written when you click (a few seconds for the PDF).",
                        "fr": "Le compte rendu est produit au moment du clic (quelques secondes "
                              "pour le PDF)."},
    "fitting_population": {"en": "Fitting the population model to these patients",
                           "fr": "Ajustement du modèle de population sur ces patients"},
    # option names (identifiers of presets, imaging schedules and strategies)
    "preset_nsclc_docetaxel": {"en": "Lung cancer (NSCLC), docetaxel",
                               "fr": "Cancer du poumon non à petites cellules, docétaxel"},
    "preset_bladder_chemoradiation": {"en": "Bladder cancer, chemoradiotherapy",
                                      "fr": "Cancer de la vessie, radiochimiothérapie"},
    "preset_bladder_chemoradiation_brachy": {
        "en": "Bladder cancer, chemoradiotherapy and brachytherapy boost",
        "fr": "Cancer de la vessie, radiochimiothérapie et complément par curiethérapie"},
    "preset_rectal_chemoradiation_brachy": {
        "en": "Rectal cancer, chemoradiotherapy and brachytherapy boost",
        "fr": "Cancer du rectum, radiochimiothérapie et complément par curiethérapie"},
    "schedule_q6w": {"en": "Every 6 weeks", "fr": "Toutes les 6 semaines"},
    "schedule_q8w": {"en": "Every 8 weeks", "fr": "Toutes les 8 semaines"},
    "schedule_q9w": {"en": "Every 9 weeks", "fr": "Toutes les 9 semaines"},
    "schedule_q12w": {"en": "Every 12 weeks", "fr": "Toutes les 12 semaines"},
    "schedule_q6w_then_q9w": {"en": "Every 6 weeks for 48 weeks, then every 9 weeks",
                              "fr": "Toutes les 6 semaines pendant 48 semaines, puis toutes "
                                    "les 9 semaines"},
    "policy_stop_at_pd": {"en": "Stop at progression", "fr": "Arrêt à la progression"},
    "policy_continue": {"en": "Treat on schedule whatever the response",
                        "fr": "Traitement poursuivi quelle que soit la réponse"},
    "policy_switch_at_pd": {"en": "Switch to a second line at progression",
                            "fr": "Passage à une deuxième ligne à la progression"},
    "policy_holiday_after_response": {
        "en": "Pause after a response, resume on regrowth",
        "fr": "Pause après une réponse, reprise si la maladie progresse de nouveau"},
    "policy_adaptive": {"en": "Adaptive therapy (pause at half the baseline size)",
                        "fr": "Traitement adaptatif (pause à la moitié de la taille initiale)"},
}


def option_name(kind: str, value: str, lang: str) -> str:
    """Words for an option identifier (``kind``: ``"preset"``, ``"schedule"`` or ``"policy"``);
    an identifier without a translation (a new preset) is shown as it is."""
    key = f"{kind}_{value}"
    return t(key, lang) if key in TEXT else str(value)


def t(key: str, lang: str, **values: object) -> str:
    """Text of ``key`` in ``lang`` (``"en"``/``"fr"``) with ``{fields}`` filled."""
    check_lang(lang)
    text = TEXT[key][lang].format(**values) if values else TEXT[key][lang]
    return french_punctuation(text) if lang == "fr" else text
