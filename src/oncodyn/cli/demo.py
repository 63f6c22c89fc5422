"""``oncodyn demo``: the treatment story in figures and the forecasting comparison (no user data,
no network)."""

from __future__ import annotations

from pathlib import Path

import typer


def demo(
    out: Path = typer.Option(Path("oncodyn-output/demo"), "--out", help="Output folder."),
    seed: int = typer.Option(0, "--seed", help="Root seed of every virtual cohort."),
    patients: int = typer.Option(200, "--patients", min=10,
                                 help="Virtual patients per story cohort (the forecasting demo "
                                      "uses min(patients, 48) synthetic lesion series)."),
) -> None:
    """Tell the treatment story in figures, in English and French (chemotherapy, resistance,
    radiotherapy, symptoms, survival) and compare growth-law forecasts with LOCF on a synthetic
    cohort."""
    import warnings

    from rich.console import Console
    from rich.table import Table

    from ..patients.baseline import FALLBACK_NOTE, BaselineFallbackWarning
    from ..report.forecast_demo import REAL_DATA_NOTE, run_forecast_demo
    from ..report.story_demo import FIGURES, run_story_demo

    console = Console()
    with console.status("simulating the story cohorts"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", BaselineFallbackWarning)
        story = run_story_demo(out, seed=seed, n_patients=patients)
    if any(issubclass(w.category, BaselineFallbackWarning) for w in caught):
        typer.secho(f"note: {FALLBACK_NOTE}", err=True, fg="yellow")
    for w in caught:  # anything else is shown as usual
        if not issubclass(w.category, BaselineFallbackWarning):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    with console.status("fitting and forecasting the synthetic cohort"):
        fc = run_forecast_demo(out / "forecasting", n=max(6, min(patients, 48)), seed=seed)
    f = story.facts
    t = Table(title=f"the story ({patients} virtual patients per cohort, seed {seed})")
    t.add_column("figure")
    t.add_column("what it shows")
    t.add_column("key number")
    ns, rs, rt, sy, sv = f["nsclc"], f["resistance"], f["radiotherapy"], f["symptoms"], f["survival"]
    vis = rt["share_primary_visible_end"]

    def months(x: float | None) -> str:
        return "not reached" if x is None else f"{x:.1f}"

    keys = {
        "01_brake_not_eraser.png": f"median burden at week 12: {ns['median_rel_burden_w12_treated']:.2f}x "
                                   f"treated vs {ns['median_rel_burden_w12_untreated']:.2f}x untreated",
        "02_waterfall.png": f"ORR {ns['orr']:.1%}, median PFS {months(ns['median_pfs_months'])} months",
        "03_spider.png": f"{ns['share_any_shrinkage']:.0%} shrink at some point",
        "04_resistance_regrowth.png": f"{rs['of_which_regrew_25pct_above_nadir_on_docetaxel']} of "
                                      f"{rs['shrank_10pct_while_on_docetaxel']} patients whose burden "
                                      "shrank by >= 10% regrow on treatment",
        "05_radiotherapy_targets.png": f"primary visible again at week {rt['horizon_weeks']:.0f}: "
                                      f"40 Gy lead-in {vis['ebrt40']:.0%}, radical 55 Gy "
                                      f"{vis['ebrt55']:.0%}, 40 Gy + HDR boost {vis['boost']:.0%}",
        "06_symptoms.png": "mean change at week 12 (bladder chemoradiation): "
                           f"{sy['bladder_chemoradiation_brachy|chemoradiation + HDR boost']['mean_change_w12']:+.1f} points",
        "07_survival.png": f"median OS {months(sv['docetaxel']['median_os_months'])} vs "
                           f"{months(sv['untreated']['median_os_months'])} months untreated",
    }
    for name, what in FIGURES.items():
        t.add_row(name, what, keys[name])
    console.print(t)
    t2 = Table(title="forecasting on synthetic series: hold-out error of the last two scans (mm)")
    for c in ("method", "mean MAE", "median MAE", "failed", "95% CI vs LOCF"):
        t2.add_column(c)
    for r in fc.table.itertuples():
        t2.add_row(r.method, f"{r.mean_mae_mm:.2f}", f"{r.median_mae_mm:.2f}", str(r.n_failed),
                   f"[{r.vs_locf_ci_lo_mm:+.2f}, {r.vs_locf_ci_hi_mm:+.2f}]")
    console.print(t2)
    console.print(REAL_DATA_NOTE, style="italic")
    console.print("Research and teaching software, not a clinical decision tool. "
                  "Plain-language summaries: story_en.md, story_fr.md (French figures in fr/).")
    typer.echo(f"outputs written to {Path(out).resolve()}")
