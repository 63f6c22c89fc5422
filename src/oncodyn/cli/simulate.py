"""``oncodyn simulate`` and ``oncodyn scenarios``: thin CLI over :func:`oncodyn.simulate.simulate`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

scenarios_app = typer.Typer(help="Preset simulation scenarios (TOML).", no_args_is_help=True)


@scenarios_app.command("list")
def scenarios_list() -> None:
    """List the preset scenarios with their descriptions."""
    from rich.console import Console
    from rich.table import Table

    from ..scenarios import list_scenarios, load_scenario

    table = Table(title="oncodyn scenarios")
    table.add_column("name")
    table.add_column("description")
    for name in list_scenarios():
        table.add_row(name, load_scenario(name).description)
    Console().print(table)


@scenarios_app.command("show")
def scenarios_show(name: str = typer.Argument(..., help="Preset name (see `oncodyn scenarios list`).")) -> None:
    """Print a preset's TOML (copy it, edit it, pass the file to `oncodyn simulate`)."""
    from ..scenarios import scenario_text

    typer.echo(scenario_text(name))


def simulate(
    scenario: str = typer.Argument(..., help="Preset name or scenario TOML file."),
    patients: int = typer.Option(200, "--patients", "-n", min=1, help="Number of virtual patients."),
    seed: int = typer.Option(0, "--seed", help="Root seed (results are identical for the same seed)."),
    out: Path = typer.Option(Path("simulation"), "--out", help="Output folder."),
    executor: str = typer.Option("serial", "--executor", help="serial or dask."),
    workers: int = typer.Option(2, "--workers", min=1, help="Dask LocalCluster workers."),
    scheduler: str = typer.Option(None, "--scheduler", help="Dask scheduler address (existing cluster)."),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="Write PNG figures."),
) -> None:
    """Simulate a virtual cohort and write trajectories, scans, RECIST results, events, summary, plots."""
    from rich.console import Console

    from ..simulate import simulate as run_sim
    from ..trials import make_executor

    ex = make_executor(executor, workers=workers, address=scheduler)
    try:
        res = run_sim(scenario, n_patients=patients, seed=seed, keep="all", executor=ex)
    finally:
        ex.close()
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "patients.parquet": res.patients_frame(),
        "trajectories.parquet": res.trajectories_frame(),
        "lesions.parquet": res.lesions_frame(),
        "recist_timepoints.parquet": res.timepoints_frame(),
        "events.parquet": res.events_frame(),
    }
    for name, df in files.items():
        df.to_parquet(out / name, index=False)
    summary = res.summary()
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    if plots:
        _plots(res, out)
    c = Console()
    c.print(f"[bold]{summary['scenario']}[/bold]: {patients} patients, seed {seed}")
    c.print(f"ORR {summary['orr']:.1%} (95% CI {summary['orr_ci'][0]:.1%}-{summary['orr_ci'][1]:.1%}), "
            f"DCR {summary['dcr']:.1%}, median PFS {summary['median_pfs_months']} months "
            f"(95% CI {summary['median_pfs_ci_months'][0]}-{summary['median_pfs_ci_months'][1]})")
    c.print(f"wrote {out}/")


def _plots(res, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from ..simulate.plots import burden_plot

    ax = burden_plot(res)
    ax.figure.savefig(out / "burden.png", dpi=120, bbox_inches="tight")
    plt.close(ax.figure)
    try:
        from .. import plot
    except ImportError:  # pragma: no cover
        return
    tp = res.timepoints_frame()
    tp = tp.assign(subject_id=tp.subject_id.astype(str))
    pats = res.patients_frame()
    br = pd.DataFrame({"subject_id": pats.subject_id.astype(str), "bor": pats.bor,
                       "best_pct_change": pats.best_pct_change})
    pfs = pd.DataFrame({"subject_id": pats.subject_id.astype(str), "event": pats.pfs_event,
                        "days": pats.pfs_days})
    few = set(map(str, np.arange(min(30, res.n))))
    for name, fn in (("spider", lambda: plot.spider(tp[tp.subject_id.isin(few)], best_response=br)),
                     ("waterfall", lambda: plot.waterfall(br)),
                     ("swimmer", lambda: plot.swimmer(tp[tp.subject_id.isin(few)], br[br.subject_id.isin(few)],
                                                      pfs[pfs.subject_id.isin(few)]))):
        ax = fn()
        ax.figure.savefig(out / f"{name}.png", dpi=120, bbox_inches="tight")
        plt.close(ax.figure)
