"""The story demo: what the treatment simulator says about chemotherapy, radiotherapy, symptoms
and survival.

Seven figures, each from seeded virtual cohorts of the preset scenarios (``oncodyn scenarios
list``); every counterfactual runs the *same* patients (same scenario, same seed; only the
treatment changes, so the random draws are identical: the cohort is sampled before any treatment
is applied and the time loop draws the same numbers whatever the treatment):

1. chemotherapy as a brake, not an eraser (nsclc_docetaxel against the same cohort untreated);
2. the spread of individual responses (waterfall and spider, :mod:`oncodyn.plot`);
3. resistance and regrowth (single patients: docetaxel continued through progression, stopped
   at progression, untreated);
4. radiotherapy acts where it is aimed (bladder: chemotherapy alone, + the 40 Gy external-beam
   lead-in of bladder_chemoradiation_brachy, + its HDR boost, + the radical 55 Gy course of
   bladder_chemoradiation; deaths switched off, the figure follows lesions);
5. symptoms: palliation against side effects (:mod:`oncodyn.simulate.symptoms`), neutropenia
   shown as a blood count, not a symptom;
6. survival: OS and PFS of the NSCLC cohort treated and untreated (the simulator's TGI-OS link,
   :class:`oncodyn.patients.config.SurvivalCfg`).

Figures are drawn in English (``out/``) and in French (``out/fr/``) by
:mod:`oncodyn.report.story_figures`; the words are in :mod:`oncodyn.report.story_text`.
The simulator's parameters are partly calibrated, partly illustrative (see each preset's tags);
the symptom index is illustrative. oncodyn is research and teaching software, not a clinical
decision tool; nothing here is advice about a patient.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .story_text import label, story_markdown

HORIZON_DAYS = 364          # figures 1-6 show the first year; survival the whole horizon
LESION_SCAN_EVERY_DAYS = 28  # denser virtual imaging (q4w) for the radiotherapy figure (demo only)
N_EXAMPLES = 4               # patients in the regrowth figure
N_SPIDER = 40                # patients in the spider plot
DAYS_PER_MONTH = 365.25 / 12

FIGURES = {
    "01_brake_not_eraser.png": "Cohort tumour burden relative to baseline, docetaxel vs the same patients untreated",
    "02_waterfall.png": "Best change in target sum per patient (RECIST waterfall)",
    "03_spider.png": "Change in target sum over time per patient (RECIST spider)",
    "04_resistance_regrowth.png": "Single patients: continued docetaxel, stopped at PD, untreated",
    "05_radiotherapy_targets.png": "Irradiated primary vs non-irradiated lesions: 40 Gy lead-in, HDR boost, radical 55 Gy",
    "06_symptoms.png": "Felt symptoms: tumour (palliation) vs side effects; neutropenia as a blood count",
    "07_survival.png": "Overall and progression-free survival, docetaxel vs the same patients untreated",
}
TABLES = ("brake_burden.csv", "individual_responses.csv", "regrowth_examples.csv",
          "lesion_response.csv", "symptoms_weekly.csv", "survival.csv", "story_facts.json")
TEXTS = ("story_en.md", "story_fr.md")
#: Folder (inside the output folder) of the French figures.
FRENCH_DIR = "fr"


@dataclass(frozen=True)
class StoryData:
    """Everything the story demo computed: ``draw`` (arrays and frames the figures are drawn
    from), ``facts`` (the numbers the texts quote) and ``tables`` (file name -> frame)."""

    draw: dict[str, Any]
    facts: dict[str, Any]
    tables: dict[str, Any]


@dataclass(frozen=True)
class StoryOutputs:
    """Files written by :func:`run_story_demo` and the numbers quoted in the texts."""

    out_dir: Path
    files: tuple[Path, ...]
    facts: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------- runs
def _variant(sc: Any, **update: Any) -> Any:
    return sc.model_copy(update=update)


def _rel(burden: np.ndarray) -> np.ndarray:
    b0 = burden[:, :1]
    return np.where(b0 > 0, burden / np.where(b0 > 0, b0, 1.0), np.nan)


def _band_table(days: np.ndarray, arms: dict[str, np.ndarray], extra: dict[str, np.ndarray]) -> Any:
    import pandas as pd

    rows = {"day": days, "week": days / 7.0}
    for lab, a in arms.items():
        q25, med, q75 = np.nanpercentile(a, [25, 50, 75], axis=0)
        rows |= {f"{lab}_median": med, f"{lab}_q25": q25, f"{lab}_q75": q75}
    return pd.DataFrame(rows | extra)


def _lesion_matrix(res: Any, days: np.ndarray, lesions: Any) -> np.ndarray:
    """Measured diameters of the baseline ``lesions`` (subject_id, lesion_id rows) relative to
    baseline, shape (lesions, scans); 0 = below the visibility limit, NaN = not scanned."""
    lf = res.lesions_frame()
    lf = lf.assign(val=lf["ld_mm"].fillna(lf["sa_mm"]))
    wide = lf.pivot_table(index=["subject_id", "lesion_id"], columns="tp", values="val", aggfunc="first")
    wide = wide.reindex(lesions.set_index(["subject_id", "lesion_id"]).index)
    sdays = np.asarray(res.scan_days)
    cols = [int(np.flatnonzero(sdays == d)[0]) for d in days]
    m = wide.reindex(columns=cols).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return m / m[:, :1]


def _row_min(x: np.ndarray) -> np.ndarray:
    """Per-patient minimum over the weeks on study (patients with none are left out)."""
    seen = np.isfinite(x).any(axis=1)
    return np.min(np.where(np.isfinite(x[seen]), x[seen], np.inf), axis=1)


def _months(days: float | None) -> float | None:
    return None if days is None else float(days) / DAYS_PER_MONTH


def _survival_facts(res: Any, horizon: float) -> dict[str, Any]:
    from ..survival.km import kaplan_meier

    s = res.summary()
    # Kaplan-Meier at the horizon: withdrawals are censored, not counted alive
    alive_2y = float(kaplan_meier(np.asarray(res.os_days, float),
                                  np.asarray(res.os_event, bool)).at(horizon))
    return {"median_os_months": s["median_os_months"], "median_os_ci_months": s["median_os_ci_months"],
            "median_pfs_months": s["median_pfs_months"],
            "median_pfs_ci_months": s["median_pfs_ci_months"], "os_events": s["os_events"],
            "alive_2y": alive_2y, "horizon_days": float(horizon)}


# ---------------------------------------------------------------------------------- main
def run_story_demo(out_dir: str | Path, *, seed: int = 0, n_patients: int = 200) -> StoryOutputs:
    """Simulate the story cohorts; write seven figures in English and French, the tables, the
    facts and two texts.

    Parameters
    ----------
    out_dir
        Output folder (created). French figures go to ``out_dir/fr``.
    seed
        Root seed of every cohort (the same patients in every arm of a figure).
    n_patients
        Patients per cohort (>= 10).

    Returns
    -------
    StoryOutputs
        Paths of the files (:data:`FIGURES` twice, :data:`TABLES`, :data:`TEXTS`) and the facts.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .story_figures import FIGURE_FUNCTIONS

    data = compute_story(seed=seed, n_patients=n_patients)  # validates before creating anything
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, df in data.tables.items():
        df.to_csv(out / name, index=False)
        written.append(out / name)
    for lang, folder in (("en", out), ("fr", out / FRENCH_DIR)):
        folder.mkdir(exist_ok=True)
        for name, draw in FIGURE_FUNCTIONS.items():
            fig = draw(data.draw, lang)
            fig.savefig(folder / name, dpi=110, bbox_inches="tight")
            plt.close(fig)
            written.append(folder / name)
    (out / "story_facts.json").write_text(json.dumps(data.facts, indent=2, sort_keys=True) + "\n",
                                          encoding="utf-8")
    written.append(out / "story_facts.json")
    for lang in ("en", "fr"):
        p = out / f"story_{lang}.md"
        p.write_text(story_markdown(data.facts, lang, FIGURES), encoding="utf-8")
        written.append(p)
    return StoryOutputs(out, tuple(written), data.facts)


def compute_story(*, seed: int = 0, n_patients: int = 200) -> StoryData:
    """Simulate the story cohorts and compute what the figures, tables and texts show (no file
    is written; :func:`run_story_demo` writes them)."""
    import pandas as pd

    from ..errors import ConfigError
    from ..models.radiation import total_eqd2
    from ..scenarios import load_scenario
    from ..simulate import course_schedule, simulate
    from ..simulate.symptoms import (
        MID_POINTS,
        SymptomParams,
        classify_change,
        irradiated_mask,
        symptom_inputs,
        symptom_score,
    )
    if n_patients < 10:
        raise ConfigError(f"n_patients must be >= 10 for the story demo, got {n_patients}")
    facts: dict[str, Any] = {"seed": seed, "n_patients": n_patients}
    d: dict[str, Any] = {"n": n_patients, "seed": seed, "mid": MID_POINTS}
    tables: dict[str, Any] = {}

    def table(df: Any, name: str) -> None:
        tables[name] = df

    def run(sc: Any) -> Any:
        return simulate(sc, n_patients=n_patients, seed=seed, keep="all")

    # ---------------------------------------------------------- 1. brake, not eraser
    ns = load_scenario("nsclc_docetaxel")
    tr = run(ns)
    un = run(_variant(ns, chemo=None, name="nsclc_untreated"))
    cont = run(_variant(ns, policy=ns.policy.model_copy(update={"kind": "continue"}),
                        name="nsclc_docetaxel_continue"))
    T = int(np.searchsorted(tr.grid, HORIZON_DAYS, side="right"))
    days = tr.grid[:T].astype(float)
    rel_tr, rel_un, rel_co = (_rel(r.burden[:, :T].astype(float)) for r in (tr, un, cont))
    on_tr = np.isin(tr.state[:, :T], (1, 2))
    d |= {"days": days, "rel_tr": rel_tr, "rel_un": rel_un, "rel_co": rel_co, "on_tr": on_tr}
    table(_band_table(days, {"docetaxel": rel_tr, "untreated": rel_un},
                      {"fraction_on_docetaxel": on_tr.mean(axis=0)}), "brake_burden.csv")
    w12, w24 = int(np.searchsorted(days, 84)), int(np.searchsorted(days, 168))
    summ = tr.summary()
    tp_all = tr.timepoints_frame()
    cr_any = tp_all.groupby("subject_id")["overall"].apply(lambda o: bool((o == "CR").any()))
    facts["nsclc"] = {
        "orr": summ["orr"], "median_pfs_months": summ["median_pfs_months"],
        "best_response_counts": summ["best_response_counts"],
        "median_rel_burden_w12_treated": float(np.nanmedian(rel_tr[:, w12])),
        "median_rel_burden_w12_untreated": float(np.nanmedian(rel_un[:, w12])),
        "median_rel_burden_w24_treated": float(np.nanmedian(rel_tr[:, w24])),
        "median_rel_burden_w24_untreated": float(np.nanmedian(rel_un[:, w24])),
        # shares among patients with at least one on-study week after baseline (true burden)
        "share_any_shrinkage": float(np.mean(_row_min(rel_tr[:, 1:]) < 1.0)),
        "share_shrink_30pct_true": float(np.mean(_row_min(rel_tr[:, 1:]) <= 0.7)),
        "share_burden_vanished": float(np.mean(_row_min(tr.burden[:, 1:T]) <= 0.0)),
        # every lesion gone from the scans (an overall CR at some scan), all patients
        "share_cr_any_scan": float(cr_any.reindex(range(tr.n), fill_value=False).mean()),
        # among patients on study at week 24 in both arms (burden is NaN after exit)
        "share_below_untreated_w24": float(np.mean(
            (rel_tr[:, w24] < rel_un[:, w24])[np.isfinite(rel_tr[:, w24] + rel_un[:, w24])])),
    }

    # ---------------------------------------------------------- 2. spread of responses
    pats = tr.patients_frame()
    br = pd.DataFrame({"subject_id": pats.subject_id.astype(str), "bor": pats.bor,
                       "best_pct_change": pats.best_pct_change})
    table(br.assign(pfs_days=pats.pfs_days, pfs_event=pats.pfs_event), "individual_responses.csv")
    tp = tp_all.assign(subject_id=tp_all.subject_id.astype(str))
    few = set(map(str, range(min(N_SPIDER, tr.n))))
    tp_few = tp[tp.subject_id.isin(few)]
    drawn_bor = sorted(set(br.loc[br.subject_id.isin(set(tp_few.subject_id)), "bor"].astype(str)))
    d |= {"br": br, "counts": summ["best_response_counts"], "tp_few": tp_few, "n_few": len(few),
          "drawn_bor": drawn_bor}

    # ---------------------------------------------------------- 3. resistance and regrowth
    on_co = np.isin(cont.state[:, :T], (1, 2))
    nadir_k = np.nanargmin(rel_co, axis=1)
    nadir = rel_co[np.arange(cont.n), nadir_k]
    regrow = rel_co[:, -1] / np.maximum(nadir, 1e-12)
    ok = on_co.all(axis=1) & (nadir < 0.9) & (nadir_k >= 2) & (regrow > 1.25) & (nadir_k < T - 4)
    cand = np.flatnonzero(ok)
    if cand.size < N_EXAMPLES:  # small cohorts: fill with the deepest nadirs
        rest = np.setdiff1d(np.argsort(nadir, kind="stable"), cand, assume_unique=False)
        cand = np.concatenate([cand, rest[: N_EXAMPLES - cand.size]])
    cand = cand[np.argsort(nadir[cand], kind="stable")]
    picks = cand[np.linspace(0, cand.size - 1, N_EXAMPLES).round().astype(int)]
    picks = list(dict.fromkeys(int(i) for i in picks))
    shrank = on_co.all(axis=1) & (nadir < 0.9)
    facts["resistance"] = {
        "on_docetaxel_all_year": int(on_co.all(axis=1).sum()),
        # true tumour burden down by >= 10% (not a RECIST response, which needs -30% of the
        # measured target sum)
        "shrank_10pct_while_on_docetaxel": int(shrank.sum()),
        "of_which_regrew_25pct_above_nadir_on_docetaxel": int((shrank & (regrow > 1.25)).sum()),
        "example_subjects": picks,
    }
    d |= {"picks": picks, "nadir": nadir, "nadir_k": nadir_k}
    table(pd.concat([pd.DataFrame({"subject_id": i, "day": days, "continued": rel_co[i],
                                   "stopped_at_pd": rel_tr[i], "untreated": rel_un[i]})
                     for i in picks], ignore_index=True), "regrowth_examples.csv")

    # ---------------------------------------------------------- 4. radiotherapy where aimed
    bl = load_scenario("bladder_chemoradiation_brachy")
    radical = load_scenario("bladder_chemoradiation").radiation
    sched = list(range(0, bl.horizon_days + 1, LESION_SCAN_EVERY_DAYS))
    # lesions, not patients: no deaths or withdrawals, so that every lesion is followed
    bl_les = _variant(bl, imaging=bl.imaging.model_copy(update={"schedule": sched}),
                      survival=bl.survival.model_copy(update={"model": "none"}),
                      death_hazard_per_day=0.0, early_exit_prob=0.0)
    ebrt40 = [r for r in bl.radiation if r.modality == "ebrt"]
    arms_sc = {"chemo": _variant(bl_les, radiation=[], name="bladder_chemo_only"),
               "ebrt40": _variant(bl_les, radiation=ebrt40, name="bladder_chemo_ebrt40"),
               "boost": bl_les,
               "ebrt55": _variant(bl_les, radiation=radical, name="bladder_chemo_ebrt55")}
    les_days = np.asarray(sched, dtype=float)
    bl_runs = {arm: run(sc) for arm, sc in arms_sc.items()}
    # the lesions aimed at in the radiotherapy arms (same patients, same lesion ids in every arm)
    irr = irradiated_mask(bl_runs["boost"])
    les = {arm: _lesion_matrix(r, les_days, irr) for arm, r in bl_runs.items()}
    target = irr["irradiated"].to_numpy()
    fr_boost = [course_schedule(r) for r in bl.radiation]
    fr_55 = [course_schedule(r) for r in radical]
    # (start, end, modality, fractions, Gy per fraction): labelled per language by the figures
    spans = [(f.start_day, f.end_day() + 1, f.modality, f.n_fractions, f.dose_per_fraction)
             for f in (*fr_boost, *fr_55)]
    eqd2 = {"chemo": 0.0, "ebrt40": float(total_eqd2([course_schedule(r) for r in ebrt40], 10.0)),
            "boost": float(total_eqd2(fr_boost, 10.0)), "ebrt55": float(total_eqd2(fr_55, 10.0))}
    lrows = []
    for arm, rel in les.items():
        for grp, m in (("aimed at", target), ("not aimed at", ~target)):
            a_ = rel[m]
            q25, med, q75 = np.nanpercentile(a_, [25, 50, 75], axis=0)
            lrows.append(pd.DataFrame({
                "arm": label("en", f"arm_{arm}"), "arm_id": arm, "group": grp, "day": les_days,
                "n_lesions": int(m.sum()), "median_rel_diameter": med, "q25": q25, "q75": q75,
                "share_visible": np.nanmean(a_ > 0, axis=0)}))
    table(pd.concat(lrows, ignore_index=True), "lesion_response.csv")
    k12, kend = int(np.searchsorted(les_days, 84)), les_days.size - 1
    facts["radiotherapy"] = {
        "eqd2_10_gy": eqd2,
        "eqd2_10_ebrt_gy": eqd2["ebrt40"], "eqd2_10_ebrt_plus_hdr_gy": eqd2["boost"],
        "horizon_weeks": float(les_days[-1] / 7), "deaths_simulated": False,
        "median_rel_diam_w12": {arm: {"aimed at": float(np.nanmedian(rel[target, k12])),
                                      "not aimed at": (float(np.nanmedian(rel[~target, k12]))
                                                       if (~target).any() else None)}
                                for arm, rel in les.items()},
        "share_primary_visible_end": {arm: float(np.nanmean(rel[target, kend] > 0))
                                      for arm, rel in les.items()},
    }
    d |= {"les": les, "target": target, "les_days": les_days, "spans": spans, "eqd2": eqd2,
          "rt_scan_weeks": LESION_SCAN_EVERY_DAYS // 7}

    # ---------------------------------------------------------- 5. symptoms
    per_grade = SymptomParams().neutropenia_points_per_grade

    def weekly(res: Any) -> Any:
        s = symptom_score(**symptom_inputs(res))
        s = s[s["day"] <= HORIZON_DAYS].copy()
        # what a patient feels; neutropenia (a blood count) is kept apart
        s["felt_score"] = s[["baseline", "tumour", "chemotherapy", "radiotherapy"]].sum(axis=1).clip(0, 100)
        s["felt_change"] = s["felt_score"] - s.groupby("subject_id")["felt_score"].transform("first")
        s["neutropenia_g3"] = s["neutropenia"] >= 3 * per_grade - 1e-9
        return s

    bl_un = run(_variant(bl, radiation=[], chemo=None, name="bladder_untreated"))
    bl_boost = run(bl)
    sym = {("nsclc_docetaxel", "docetaxel"): weekly(tr), ("nsclc_docetaxel", "untreated"): weekly(un),
           ("bladder_chemoradiation_brachy", "chemoradiation + HDR boost"): weekly(bl_boost),
           ("bladder_chemoradiation_brachy", "untreated"): weekly(bl_un)}
    comps = ["baseline", "tumour", "neutropenia", "chemotherapy", "radiotherapy"]
    srows = []
    for (scen, arm), s in sym.items():
        g = s.groupby("day")
        m = g[comps + ["score", "change", "felt_score", "felt_change"]].mean()
        m["share_neutropenia_g3"] = g["neutropenia_g3"].mean()
        m["share_improved"] = g["felt_change"].apply(lambda c: float(np.mean(classify_change(c) == "improved")))
        m["share_worsened"] = g["felt_change"].apply(lambda c: float(np.mean(classify_change(c) == "worsened")))
        srows.append(m.reset_index().assign(scenario=scen, arm=arm))
    stab = pd.concat(srows, ignore_index=True)
    stab = stab[["scenario", "arm", "day", *comps, "score", "change", "felt_score", "felt_change",
                 "share_neutropenia_g3", "share_improved", "share_worsened"]]
    table(stab, "symptoms_weekly.csv")

    def at(scen: str, arm: str, day: int, col: str) -> float:
        r = stab[(stab.scenario == scen) & (stab.arm == arm) & (stab.day == day)]
        return float(r[col].iloc[0])

    facts["symptoms"] = {"mid_points": MID_POINTS, "score": "felt symptoms (neutropenia apart)"}
    for (scen, arm) in sym:
        sel = stab[(stab.scenario == scen) & (stab.arm == arm)]
        facts["symptoms"][f"{scen}|{arm}"] = {
            "mean_change_w2": at(scen, arm, 14, "felt_change"),
            "mean_change_w12": at(scen, arm, 84, "felt_change"),
            "share_improved_w12": at(scen, arm, 84, "share_improved"),
            "share_worsened_w2": at(scen, arm, 14, "share_worsened"),
            "share_worsened_w12": at(scen, arm, 84, "share_worsened"),
            "peak_share_neutropenia_g3": float(sel["share_neutropenia_g3"].max())}
    d["stab"] = stab

    # ---------------------------------------------------------- 6. survival
    horizon = float(ns.horizon_days)
    sv = {"docetaxel": _survival_facts(tr, horizon), "untreated": _survival_facts(un, horizon)}
    sv["scan_every_weeks"] = float(np.diff(np.asarray(tr.scan_days, float))[:1].mean() / 7.0)
    facts["survival"] = sv
    surv = pd.concat([r.patients_frame()[["subject_id", "pfs_days", "pfs_event", "os_days", "os_event"]]
                      .assign(arm=arm) for arm, r in (("docetaxel", tr), ("untreated", un))],
                     ignore_index=True)
    table(surv, "survival.csv")
    d |= {"surv": surv, "surv_facts": sv}

    return StoryData(d, facts, tables)
