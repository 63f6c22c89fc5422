"""``oncodyn demo``: the main job on a built-in default (no user data, no network)."""

from __future__ import annotations

from pathlib import Path

import typer


def demo(
    out: Path = typer.Option(Path("oncodyn-output/demo"), "--out", help="Output folder."),
    seed: int = typer.Option(0, help="Seed of the synthetic cohort."),
    patients: int = typer.Option(48, min=6, help="Number of synthetic lesion series."),
) -> None:
    """Generate a seeded synthetic cohort, fit every growth law, forecast, compare with LOCF, plot."""
    from rich.console import Console
    from rich.table import Table

    from ..report.forecast_demo import run_forecast_demo

    console = Console()
    with console.status("fitting and forecasting the synthetic cohort"):
        res = run_forecast_demo(out, n=patients, seed=seed)
    t = Table(title="hold-out error of the last two scans (mm)")
    for c in ("method", "mean MAE", "median MAE", "failed", "95% CI vs LOCF"):
        t.add_column(c)
    for r in res.table.itertuples():
        t.add_row(r.method, f"{r.mean_mae_mm:.2f}", f"{r.median_mae_mm:.2f}", str(r.n_failed),
                  f"[{r.vs_locf_ci_lo_mm:+.2f}, {r.vs_locf_ci_hi_mm:+.2f}]")
    console.print(t)
    console.print("Research and teaching software, not a clinical decision tool.")
    typer.echo(f"outputs written to {res.out_dir.resolve()}")
