"""The story demo: what the treatment simulator says about chemotherapy, radiotherapy and symptoms.

Five figures, each from seeded virtual cohorts of the preset scenarios (``oncodyn scenarios
list``); every counterfactual runs the *same* patients (same scenario, same seed; only the
treatment changes, so the random draws are identical: the cohort is sampled before any treatment
is applied and the time loop draws the same numbers whatever the treatment):

1. chemotherapy as a brake, not an eraser (nsclc_docetaxel against the same cohort untreated);
2. the spread of individual responses (waterfall and spider, :mod:`oncodyn.plot`);
3. resistance and regrowth (single patients: docetaxel continued through progression, stopped
   at progression, untreated);
4. radiotherapy acts where it is aimed (bladder_chemoradiation_brachy: chemotherapy alone,
   + external beam, + HDR brachytherapy boost; irradiated primary against the other lesions);
5. symptoms: palliation against side effects (:mod:`oncodyn.simulate.symptoms`).

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

HORIZON_DAYS = 364          # figures show the first year
LESION_SCAN_EVERY_DAYS = 28  # denser virtual imaging (q4w) for the radiotherapy figure (demo only)
N_EXAMPLES = 4               # patients in the regrowth figure

FIGURES = {
    "01_brake_not_eraser.png": "Cohort tumour burden relative to baseline, docetaxel vs the same patients untreated",
    "02_waterfall.png": "Best change in target sum per patient (RECIST waterfall)",
    "03_spider.png": "Change in target sum over time per patient (RECIST spider)",
    "04_resistance_regrowth.png": "Single patients: continued docetaxel, stopped at PD, untreated",
    "05_radiotherapy_targets.png": "Irradiated primary vs non-irradiated lesions with/without EBRT and HDR boost",
    "06_symptoms.png": "Symptom burden: tumour (palliation) vs toxicity (side effects)",
}
TABLES = ("brake_burden.csv", "individual_responses.csv", "regrowth_examples.csv",
          "lesion_response.csv", "symptoms_weekly.csv", "story_facts.json")
TEXTS = ("story_en.md", "story_fr.md")


def _decimal_comma(text: str) -> str:
    """French typography: decimal comma in numbers (1.06 -> 1,06); file names have no digit.digit."""
    import re

    return re.sub(r"(?<=\d)\.(?=\d)", ",", text)


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


def _clip_pct(ax: Any, values: np.ndarray, what: str, top: float = 150.0) -> None:
    """Cap the % axis at ``top`` so a few extreme progressions do not flatten the others."""
    v = values[np.isfinite(values)]
    n_out = int((v > top).sum())
    if n_out:
        ax.set_ylim(max(ax.get_ylim()[0], -105.0), top)
        ax.text(0.99, 0.98, f"{n_out} {what} above +{top:.0f}% cut off (max {v.max():+.0f}%)",
                transform=ax.transAxes, ha="right", va="top", fontsize=8)


# ---------------------------------------------------------------------------------- main
def run_story_demo(out_dir: str | Path, *, seed: int = 0, n_patients: int = 200) -> StoryOutputs:
    """Simulate the story cohorts, write six figures, five tables, the facts and two texts.

    Parameters
    ----------
    out_dir
        Output folder (created).
    seed
        Root seed of every cohort (the same patients in every arm of a figure).
    n_patients
        Patients per cohort (>= 10).

    Returns
    -------
    StoryOutputs
        Paths of the files (:data:`FIGURES`, :data:`TABLES`, :data:`TEXTS`) and the facts.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from .. import plot
    from ..errors import ConfigError
    from ..models.radiation import total_eqd2
    from ..scenarios import load_scenario
    from ..simulate import course_schedule, simulate
    from ..simulate.symptoms import (
        MID_POINTS,
        classify_change,
        irradiated_mask,
        symptom_inputs,
        symptom_score,
    )

    if n_patients < 10:
        raise ConfigError(f"n_patients must be >= 10 for the story demo, got {n_patients}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    facts: dict[str, Any] = {"seed": seed, "n_patients": n_patients}

    def save(fig: Any, name: str) -> None:
        p = out / name
        fig.savefig(p, dpi=110, bbox_inches="tight")
        plt.close(fig)
        written.append(p)

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
    arms = {"docetaxel": rel_tr, "untreated": rel_un}
    tab = _band_table(days, arms, {"fraction_on_docetaxel": on_tr.mean(axis=0)})
    tab.to_csv(out / "brake_burden.csv", index=False)
    written.append(out / "brake_burden.csv")
    w12 = int(np.searchsorted(days, 84))
    w24 = int(np.searchsorted(days, 168))
    def _row_min(x: np.ndarray) -> np.ndarray:
        """Per-patient minimum over the weeks on study (patients with none are left out)."""
        seen = np.isfinite(x).any(axis=1)
        return np.min(np.where(np.isfinite(x[seen]), x[seen], np.inf), axis=1)

    facts["nsclc"] = {
        "orr": tr.summary()["orr"], "median_pfs_months": tr.summary()["median_pfs_months"],
        "median_rel_burden_w12_treated": float(np.nanmedian(rel_tr[:, w12])),
        "median_rel_burden_w12_untreated": float(np.nanmedian(rel_un[:, w12])),
        "median_rel_burden_w24_treated": float(np.nanmedian(rel_tr[:, w24])),
        "median_rel_burden_w24_untreated": float(np.nanmedian(rel_un[:, w24])),
        # shares among patients with at least one on-study week after baseline
        "share_any_shrinkage": float(np.mean(_row_min(rel_tr[:, 1:]) < 1.0)),
        "share_shrink_30pct_true": float(np.mean(_row_min(rel_tr[:, 1:]) <= 0.7)),
        "share_burden_vanished": float(np.mean(_row_min(tr.burden[:, 1:T]) <= 0.0)),
        # among patients on study at week 24 in both arms (burden is NaN after exit)
        "share_below_untreated_w24": float(np.mean(
            (rel_tr[:, w24] < rel_un[:, w24])[np.isfinite(rel_tr[:, w24] + rel_un[:, w24])])),
    }
    fig, ax = plt.subplots(figsize=(8, 4.6))
    plot.cohort_bands(days, arms, ax=ax, on_treatment=on_tr, log=True,
                      treatment_label="on docetaxel (shade ∝ share of patients)",
                      ylabel="sum of lesion diameters / baseline (log scale)",
                      title=f"Chemotherapy is a brake, not an eraser: NSCLC, docetaxel 75 mg/m² q3w "
                            f"until progression\n{n_patients} virtual patients, the same patients "
                            f"untreated (seed {seed}); bands: inter-quartile range")
    ax.axhline(1.0, color="0.4", lw=0.8)
    ax.legend(fontsize="small", loc="upper left")
    save(fig, "01_brake_not_eraser.png")

    # ---------------------------------------------------------- 2. spread of responses
    pats = tr.patients_frame()
    br = pd.DataFrame({"subject_id": pats.subject_id.astype(str), "bor": pats.bor,
                       "best_pct_change": pats.best_pct_change})
    br.assign(pfs_days=pats.pfs_days, pfs_event=pats.pfs_event).to_csv(
        out / "individual_responses.csv", index=False)
    written.append(out / "individual_responses.csv")
    fig, ax = plt.subplots(figsize=(9, 4.5))
    plot.waterfall(br, ax=ax)
    _clip_pct(ax, br["best_pct_change"].to_numpy(dtype=float), "bar(s)")
    counts = tr.summary()["best_response_counts"]
    ax.set_title(f"Same drug, same dose, different tumours: best response of {n_patients} virtual "
                 f"NSCLC patients on docetaxel\nCR {counts['CR']}, PR {counts['PR']}, SD {counts['SD']}, "
                 f"PD {counts['PD']}, NE {counts['NE']} (RECIST 1.1)", fontsize=10)
    save(fig, "02_waterfall.png")
    tp = tr.timepoints_frame()
    tp = tp.assign(subject_id=tp.subject_id.astype(str))
    few = set(map(str, range(min(40, tr.n))))
    fig, ax = plt.subplots(figsize=(9, 4.8))
    plot.spider(tp[tp.subject_id.isin(few)], best_response=br, ax=ax)
    _clip_pct(ax, tp[tp.subject_id.isin(few)]["pct_change_from_baseline"].to_numpy(dtype=float), "point(s)")
    ax.set_xlabel("days since start of docetaxel")
    ax.set_title(f"Each line one patient (first {len(few)}): change of the RECIST target sum "
                 f"at each 6-weekly scan, × = progression", fontsize=10)
    save(fig, "03_spider.png")

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
        "shrank_10pct_while_on_docetaxel": int(shrank.sum()),
        "of_which_regrew_25pct_above_nadir_on_docetaxel": int((shrank & (regrow > 1.25)).sum()),
        "example_subjects": picks,
    }
    fig, axes = plt.subplots(1, len(picks), figsize=(3.4 * len(picks), 3.6), sharey=True, squeeze=False)
    rows = []
    for ax, i in zip(axes[0], picks, strict=True):
        plot.patient_regrowth(days, rel_co[i], rel_un[i], on_treatment=on_tr[i],
                              extra={"stopped at progression": rel_tr[i]}, ax=ax,
                              treated_label="docetaxel continued",
                              treatment_label="on docetaxel (stop-at-PD course)",
                              title=f"patient {i}: nadir {100 * (nadir[i] - 1):+.0f}% at week "
                                    f"{days[nadir_k[i]] / 7:.0f}")
        rows.append(pd.DataFrame({"subject_id": i, "day": days, "continued": rel_co[i],
                                  "stopped_at_pd": rel_tr[i], "untreated": rel_un[i]}))
    for ax in axes[0][1:]:
        ax.set_ylabel("")
    axes[0][0].legend(fontsize=7, loc="upper left")
    fig.suptitle("Resistance and regrowth: the tumour shrinks, bottoms out (▼) and regrows although "
                 "docetaxel continues all year (solid);\nthe regrowth parallels the untreated course "
                 "(dashed): resistant cells grow as if untreated. Shaded: on docetaxel in the usual "
                 "stop-at-progression course (dotted),\nwhich overlaps the solid line once the "
                 "sensitive cells are gone. Steps: a new lesion seen at a scan.", fontsize=10)
    fig.tight_layout()
    save(fig, "04_resistance_regrowth.png")
    pd.concat(rows, ignore_index=True).to_csv(out / "regrowth_examples.csv", index=False)
    written.append(out / "regrowth_examples.csv")

    # ---------------------------------------------------------- 4. radiotherapy where aimed
    bl = load_scenario("bladder_chemoradiation_brachy")
    sched = list(range(0, bl.horizon_days + 1, LESION_SCAN_EVERY_DAYS))
    bl = _variant(bl, imaging=bl.imaging.model_copy(update={"schedule": sched}))
    ebrt = [r for r in bl.radiation if r.modality == "ebrt"]
    arms_sc = {
        "chemotherapy alone": _variant(bl, radiation=[], name="bladder_chemo_only"),
        "+ external beam": _variant(bl, radiation=ebrt, name="bladder_chemo_ebrt"),
        "+ external beam + HDR boost": bl,
    }
    les_days = np.asarray(sched, dtype=float)
    bl_runs = {lab: run(sc) for lab, sc in arms_sc.items()}
    # the lesions aimed at in the radiotherapy arms (same patients, same lesion ids in every arm)
    irr = irradiated_mask(bl_runs["+ external beam + HDR boost"])
    les = {lab: _lesion_matrix(r, les_days, irr) for lab, r in bl_runs.items()}
    target = irr["irradiated"].to_numpy()
    fr = [course_schedule(r) for r in bl.radiation]
    spans = [(f.start_day, f.end_day() + 1, f.describe()) for f in fr]
    eqd2 = {"ebrt": float(total_eqd2([f for f in fr if getattr(f, "modality", "ldr") == "ebrt"], 10.0)),
            "ebrt_hdr": float(total_eqd2(fr, 10.0))}
    lrows = []
    for lab, rel in les.items():
        for grp, m in (("aimed at", target), ("not aimed at", ~target)):
            a_ = rel[m]
            q25, med, q75 = np.nanpercentile(a_, [25, 50, 75], axis=0)
            lrows.append(pd.DataFrame({
                "arm": lab, "group": grp, "day": les_days, "n_lesions": int(m.sum()),
                "median_rel_diameter": med, "q25": q25, "q75": q75,
                "share_visible": np.nanmean(a_ > 0, axis=0)}))
    ltab = pd.concat(lrows, ignore_index=True)
    ltab.to_csv(out / "lesion_response.csv", index=False)
    written.append(out / "lesion_response.csv")
    k12 = int(np.searchsorted(les_days, 84))
    kend = les_days.size - 1
    facts["radiotherapy"] = {
        "eqd2_10_ebrt_gy": eqd2["ebrt"], "eqd2_10_ebrt_plus_hdr_gy": eqd2["ebrt_hdr"],
        "horizon_weeks": float(les_days[-1] / 7),
        "median_rel_diam_w12": {lab: {"aimed at": float(np.nanmedian(rel[target, k12])),
                                      "not aimed at": (float(np.nanmedian(rel[~target, k12]))
                                                       if (~target).any() else None)}
                                for lab, rel in les.items()},
        "share_primary_visible_end": {lab: float(np.nanmean(rel[target, kend] > 0)) for lab, rel in les.items()},
    }
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    prim = {lab: rel[target] for lab, rel in les.items()}
    other = {lab: rel[~target] for lab, rel in les.items()} if (~target).any() else {}
    panels = [(axes[0], prim, "median", "measured diameter / baseline",
               f"primary tumour (aimed at by radiotherapy), {int(target.sum())} lesions"),
              (axes[1], {k: (v > 0).astype(float) for k, v in prim.items()}, "mean",
               "share of primaries visible on CT", "local control: primaries visible again"),
              (axes[2], other, "median", "measured diameter / baseline",
               f"other lesions (nodes, lung, bone; never irradiated), {int((~target).sum())} lesions")]
    for ax, arms_, stat, ylab, title in panels:
        plot.course_spans(spans, ax=ax)
        if arms_:
            plot.cohort_bands(les_days, arms_, ax=ax, stat=stat, iqr=ax is axes[0],
                              ylabel=ylab, title=title)
        ax.set_ylim(0, 1.08 if stat == "mean" else 3.0)
        if stat == "median":
            ax.axhline(1.0, color="0.4", lw=0.8)
    axes[0].legend(fontsize=7.5, loc="upper left")
    axes[2].text(0.98, 0.03, "the three medians coincide:\nradiotherapy acts only where it is aimed",
                 transform=axes[2].transAxes, ha="right", va="bottom", fontsize=8.5)
    fig.suptitle(f"Bladder cancer, chemotherapy (2 cycles) with or without radiotherapy to the primary, "
                 f"{n_patients} virtual patients, virtual CT every {LESION_SCAN_EVERY_DAYS // 7} weeks\n"
                 f"EQD2(α/β = 10): external beam {eqd2['ebrt']:.0f} Gy, with the HDR brachytherapy boost "
                 f"{eqd2['ebrt_hdr']:.0f} Gy; bands: inter-quartile ranges", fontsize=10)
    fig.tight_layout()
    save(fig, "05_radiotherapy_targets.png")

    # ---------------------------------------------------------- 5. symptoms
    def weekly(res: Any) -> Any:
        s = symptom_score(**symptom_inputs(res))
        return s[s["day"] <= HORIZON_DAYS]

    bl_un = run(_variant(bl, radiation=[], chemo=None, name="bladder_untreated"))
    sym = {("nsclc_docetaxel", "docetaxel"): weekly(tr), ("nsclc_docetaxel", "untreated"): weekly(un),
           ("bladder_chemoradiation_brachy", "chemoradiation + HDR boost"): weekly(bl_runs["+ external beam + HDR boost"]),
           ("bladder_chemoradiation_brachy", "untreated"): weekly(bl_un)}
    comps = ["baseline", "tumour", "neutropenia", "chemotherapy", "radiotherapy"]
    srows = []
    for (scen, arm), s in sym.items():
        g = s.groupby("day")
        m = g[comps + ["score", "change"]].mean()
        m["share_improved"] = g["change"].apply(lambda c: float(np.mean(classify_change(c) == "improved")))
        m["share_worsened"] = g["change"].apply(lambda c: float(np.mean(classify_change(c) == "worsened")))
        srows.append(m.reset_index().assign(scenario=scen, arm=arm))
    stab = pd.concat(srows, ignore_index=True)
    stab = stab[["scenario", "arm", "day", *comps, "score", "change", "share_improved", "share_worsened"]]
    stab.to_csv(out / "symptoms_weekly.csv", index=False)
    written.append(out / "symptoms_weekly.csv")

    def at(scen: str, arm: str, day: int, col: str) -> float:
        r = stab[(stab.scenario == scen) & (stab.arm == arm) & (stab.day == day)]
        return float(r[col].iloc[0])

    facts["symptoms"] = {"mid_points": MID_POINTS}
    for (scen, arm) in sym:
        facts["symptoms"][f"{scen}|{arm}"] = {
            "mean_change_w2": at(scen, arm, 14, "change"), "mean_change_w12": at(scen, arm, 84, "change"),
            "share_improved_w12": at(scen, arm, 84, "share_improved"),
            "share_worsened_w2": at(scen, arm, 14, "share_worsened"),
            "share_worsened_w12": at(scen, arm, 84, "share_worsened")}
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), sharey=True)
    labels = {"baseline": "background (non-cancer)", "tumour": "tumour (site-weighted)",
              "neutropenia": "neutropenia (grade)", "chemotherapy": "other chemo side effects",
              "radiotherapy": "acute radiotherapy toxicity"}
    for ax, (scen, arm_t), title in zip(
            axes, (("nsclc_docetaxel", "docetaxel"),
                   ("bladder_chemoradiation_brachy", "chemoradiation + HDR boost")),
            (f"NSCLC, docetaxel until progression ({n_patients} patients)",
             f"bladder, chemoradiation + HDR boost ({n_patients} patients)"), strict=True):
        s = stab[(stab.scenario == scen) & (stab.arm == arm_t)]
        u = stab[(stab.scenario == scen) & (stab.arm == "untreated")]
        x = s["day"].to_numpy()
        plot.symptom_stack(x, {labels[c]: s[c].to_numpy() for c in comps}, total=s["score"].to_numpy(),
                           reference=("mean score, same patients untreated", u["score"].to_numpy()),
                           ax=ax, mid=MID_POINTS, title=title)
    axes[0].legend(fontsize=7.5, loc="upper left", ncol=2)
    axes[1].set_ylabel("")
    fig.suptitle("Symptoms (illustrative index, 0-100, EORTC QLQ-C30 direction; MID 10 points, Osoba 1998): "
                 "shrinking tumours relieve symptoms,\ntreatment toxicity adds them; early weeks are "
                 "dominated by side effects, later weeks by the tumour", fontsize=10)
    fig.tight_layout()
    save(fig, "06_symptoms.png")

    # ---------------------------------------------------------- facts and texts
    (out / "story_facts.json").write_text(json.dumps(facts, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    written.append(out / "story_facts.json")
    for lang in ("en", "fr"):
        p = out / f"story_{lang}.md"
        p.write_text(story_markdown(facts, lang, FIGURES), encoding="utf-8")
        written.append(p)
    return StoryOutputs(out, tuple(written), facts)


# ---------------------------------------------------------------------------------- texts
def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def story_markdown(facts: dict[str, Any], lang: str, figures: dict[str, str] = FIGURES) -> str:
    """Plain-language summary (``lang`` "en" or "fr") quoting the numbers in ``facts``."""
    n, seed = facts["n_patients"], facts["seed"]
    ns, rs, rt, sy = facts["nsclc"], facts["resistance"], facts["radiotherapy"], facts["symptoms"]
    w12 = rt["median_rel_diam_w12"]
    arms = list(w12)
    irr = [w12[a]["aimed at"] for a in arms]
    non = [w12[a]["not aimed at"] for a in arms]
    vis = [rt["share_primary_visible_end"][a] for a in arms]
    wk = rt["horizon_weeks"]
    sd = sy["nsclc_docetaxel|docetaxel"]
    sb = sy["bladder_chemoradiation_brachy|chemoradiation + HDR boost"]
    sbu = sy["bladder_chemoradiation_brachy|untreated"]
    f = lambda x: "n/a" if x is None else f"{x:.2f}"  # noqa: E731
    pfs = "n/a" if ns["median_pfs_months"] is None else f"{ns['median_pfs_months']:.1f}"
    if lang == "en":
        return f"""# oncodyn: the treatment story in figures

**Research and teaching software, not clinical advice.** These are *virtual* patients from
simulation models whose parameters are partly calibrated on trial data and partly illustrative.
Nothing here predicts what will happen to a real person or should guide a treatment decision.

Cohorts of {n} virtual patients, seed {seed}. Every comparison uses the *same* patients with only
the treatment changed.

1. **Chemotherapy is a brake, not an eraser** (`01_brake_not_eraser.png`). Metastatic lung
   cancer (NSCLC) on docetaxel: after 12 weeks the median tumour burden is {ns['median_rel_burden_w12_treated']:.2f}x
   baseline with treatment against {ns['median_rel_burden_w12_untreated']:.2f}x without. {_pct(ns['share_any_shrinkage'])} of
   patients see some shrinkage, {_pct(ns['share_shrink_30pct_true'])} shrink by 30% or more, and in
   {_pct(ns['share_burden_vanished'])} does every visible lesion vanish. Objective response rate
   {_pct(ns['orr'])}, median progression-free survival {pfs} months.
2. **Responses spread widely** (`02_waterfall.png`, `03_spider.png`): same drug, same dose, very
   different courses, from deep shrinkage to growth at the first scan.
3. **Resistance and regrowth** (`04_resistance_regrowth.png`). Of the {rs['on_docetaxel_all_year']} patients
   kept on docetaxel for the whole year (a what-if: docetaxel continued through progression),
   {rs['shrank_10pct_while_on_docetaxel']} shrank by 10% or more and {rs['of_which_regrew_25pct_above_nadir_on_docetaxel']} of these
   regrew to 25% above their lowest point *while still treated*: the drug kills the sensitive
   cells; the resistant ones keep growing at the untreated pace.
4. **Radiotherapy acts where it is aimed** (`05_radiotherapy_targets.png`). Bladder cancer,
   chemotherapy with radiotherapy to the primary tumour (EQD2 {rt['eqd2_10_ebrt_gy']:.0f} Gy external
   beam; {rt['eqd2_10_ebrt_plus_hdr_gy']:.0f} Gy with a brachytherapy boost). At week 12 the median irradiated
   tumour is {f(irr[0])}, {f(irr[1])} and {f(irr[2])} of its baseline diameter with chemotherapy alone,
   + external beam and + brachytherapy boost; the lesions outside the field stay at
   {f(non[0])}, {f(non[1])} and {f(non[2])}: radiotherapy does nothing to them. The boost matters
   later: at week {wk:.0f} the primary is visible again on CT in {_pct(vis[1])} of patients after
   external beam alone and in {_pct(vis[2])} after the boost (chemotherapy alone: {_pct(vis[0])}).
5. **Symptoms: relief against side effects** (`06_symptoms.png`). An illustrative 0-100 symptom
   index (higher = worse; a change of 10 points matters, Osoba 1998). On docetaxel the mean
   changes by {sd['mean_change_w2']:+.1f} points at week 2 (neutropenia and other side effects;
   {_pct(sd['share_worsened_w2'])} of patients worse by 10 points or more) and {sd['mean_change_w12']:+.1f} at week 12.
   After bladder chemoradiation it is {sb['mean_change_w12']:+.1f} points at week 12 ({_pct(sb['share_improved_w12'])}
   improved by 10 points or more) against {sbu['mean_change_w12']:+.1f} untreated: shrinking the tumour
   relieves symptoms once the acute toxicity has settled.

Figures: {", ".join(f"`{k}`" for k in figures)}. Tables: `brake_burden.csv`, `individual_responses.csv`,
`regrowth_examples.csv`, `lesion_response.csv`, `symptoms_weekly.csv`; numbers: `story_facts.json`.
"""
    if lang == "fr":
        return _decimal_comma(f"""# oncodyn : l'histoire du traitement en figures

**Logiciel de recherche et d'enseignement, pas un avis médical.** Ce sont des patients *virtuels*
issus de modèles de simulation dont les paramètres sont en partie calibrés sur des essais et en
partie illustratifs. Rien ici ne prédit l'évolution d'une personne réelle ni ne doit guider une
décision de traitement.

Cohortes de {n} patients virtuels, graine {seed}. Chaque comparaison porte sur les *mêmes*
patients ; seul le traitement change.

1. **La chimiothérapie freine, elle n'efface pas** (`01_brake_not_eraser.png`). Cancer du poumon
   métastatique (CBNPC) sous docétaxel : à 12 semaines, la charge tumorale médiane vaut
   {ns['median_rel_burden_w12_treated']:.2f} fois la valeur initiale avec traitement contre {ns['median_rel_burden_w12_untreated']:.2f} sans.
   {_pct(ns['share_any_shrinkage'])} des patients voient leurs tumeurs diminuer, {_pct(ns['share_shrink_30pct_true'])} de 30 % ou plus, et
   chez {_pct(ns['share_burden_vanished'])} seulement toutes les lésions visibles disparaissent. Taux de réponse
   objective {_pct(ns['orr'])}, survie sans progression médiane {pfs} mois.
2. **Des réponses très dispersées** (`02_waterfall.png`, `03_spider.png`) : même médicament,
   même dose, des évolutions très différentes, de la fonte profonde à la croissance dès le
   premier scanner.
3. **Résistance et repousse** (`04_resistance_regrowth.png`). Parmi les {rs['on_docetaxel_all_year']} patients
   traités toute l'année (scénario hypothétique : docétaxel poursuivi malgré la progression),
   {rs['shrank_10pct_while_on_docetaxel']} ont diminué de 10 % ou plus et {rs['of_which_regrew_25pct_above_nadir_on_docetaxel']} d'entre eux ont repoussé de 25 % au-dessus
   de leur point le plus bas *sous traitement* : le médicament tue les cellules sensibles, les
   cellules résistantes continuent de croître au rythme sans traitement.
4. **La radiothérapie agit là où elle est dirigée** (`05_radiotherapy_targets.png`). Cancer de la
   vessie, chimiothérapie et radiothérapie de la tumeur primitive (EQD2 {rt['eqd2_10_ebrt_gy']:.0f} Gy en
   radiothérapie externe ; {rt['eqd2_10_ebrt_plus_hdr_gy']:.0f} Gy avec un complément de curiethérapie). À 12 semaines,
   la tumeur irradiée médiane mesure {f(irr[0])}, {f(irr[1])} et {f(irr[2])} de son diamètre initial
   (chimiothérapie seule, + radiothérapie externe, + curiethérapie) ; les lésions hors du champ
   restent à {f(non[0])}, {f(non[1])} et {f(non[2])} : la radiothérapie ne les touche pas. Le
   complément compte plus tard : à la semaine {wk:.0f}, la tumeur primitive est de nouveau visible
   au scanner chez {_pct(vis[1])} des patients après radiothérapie externe seule et chez {_pct(vis[2])}
   après le complément (chimiothérapie seule : {_pct(vis[0])}).
5. **Symptômes : soulagement contre effets indésirables** (`06_symptoms.png`). Un indice de
   symptômes illustratif de 0 à 100 (plus haut = pire ; une variation de 10 points compte,
   Osoba 1998). Sous docétaxel, la moyenne varie de {sd['mean_change_w2']:+.1f} points à la semaine 2
   (neutropénie et autres effets indésirables ; {_pct(sd['share_worsened_w2'])} des patients aggravés d'au
   moins 10 points) et de {sd['mean_change_w12']:+.1f} à la semaine 12. Après la radiochimiothérapie de la vessie :
   {sb['mean_change_w12']:+.1f} points à la semaine 12 ({_pct(sb['share_improved_w12'])} améliorés d'au moins 10 points)
   contre {sbu['mean_change_w12']:+.1f} sans traitement : la fonte tumorale soulage une fois la toxicité
   aiguë passée.

Figures : {", ".join(f"`{k}`" for k in figures)}. Tableaux : `brake_burden.csv`,
`individual_responses.csv`, `regrowth_examples.csv`, `lesion_response.csv`,
`symptoms_weekly.csv` ; chiffres : `story_facts.json`.
""")
    from ..errors import ConfigError

    raise ConfigError(f"language {lang!r} not available; allowed: en, fr")
