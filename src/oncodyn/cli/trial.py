"""``oncodyn trial TRIAL [--out DIR] [--replicates N] [--workers K]``: a two-arm virtual trial.

Thin skin over :func:`oncodyn.trials.run.run_trial`: load and validate the design (a shipped
example name or a TRIAL.toml path), reserve the output folder, simulate, write every file or none.
"""

from __future__ import annotations

from pathlib import Path

import typer

examples_app = typer.Typer(help="Example two-arm trial designs (TOML).", no_args_is_help=True)


@examples_app.command("list")
def examples_list() -> None:
    """List the shipped trial designs."""
    from ..trials.design import list_examples, load_design

    for name in list_examples():
        typer.echo(f"{name}: {load_design(name).description}")


@examples_app.command("show")
def examples_show(name: str = typer.Argument(..., help="Example name (see `oncodyn trials list`).")) -> None:
    """Print an example's TOML (copy it, edit it, pass the file to `oncodyn trial`)."""
    from ..trials.design import example_text

    typer.echo(example_text(name), nl=False)


def _fmt(ep: str, r: dict) -> str:
    from math import isfinite

    if ep == "orr":
        return (f"ORR {100 * r['orr_experimental']:.1f}% vs {100 * r['orr_control']:.1f}%: "
                f"difference {100 * r['estimate']:+.1f} points (95% CI {100 * r['ci_low']:+.1f} to "
                f"{100 * r['ci_high']:+.1f}), p {r['p']:.3g}")
    name = ep.upper()
    if not isfinite(r["estimate"]):
        return f"{name} HR not estimable (events {r['events_experimental']} vs {r['events_control']})"
    return (f"{name} HR {r['estimate']:.2f} (95% CI {r['ci_low']:.2f} to {r['ci_high']:.2f}), "
            f"log-rank p {r['p']:.3g}, events {r['events_experimental']} vs {r['events_control']}")


def trial(
    ctx: typer.Context,
    design_ref: str = typer.Argument(..., metavar="TRIAL",
                                     help="TRIAL.toml path or example name (`oncodyn trials list`)."),
    out: Path = typer.Option(Path("trial"), "--out", help="Output folder (created; must be empty)."),
    replicates: int = typer.Option(None, "--replicates", min=0,
                                   help="Simulated trials for power (default: the design's `replicates`)."),
    workers: int = typer.Option(1, "--workers", min=1,
                                help="Dask LocalCluster workers (1 = serial; results do not depend on it)."),
    executor: str = typer.Option(None, "--executor", help="serial or dask (default: dask if --workers > 1)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing oncodyn output folder at --out."),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="Write PNG figures."),
) -> None:
    """Simulate a two-arm virtual trial: ORR difference, PFS/OS Cox hazard ratios with CIs,
    log-rank p, and power over many simulated trials. Virtual patients: not a clinical
    decision tool."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..data.outputs import reserve_output_folder
    from ..trials import make_executor
    from ..trials.design import arm_scenario, example_text, list_examples, load_design
    from ..trials.run import run_trial

    design = load_design(design_ref)  # bad TOML / key: one-line ConfigError before any work
    for arm in design.arms:  # arm scenarios and overrides checked before any work
        arm_scenario(design, arm, source=str(design_ref))
    folder = ctx.with_resource(reserve_output_folder(out, overwrite=force))
    R = design.replicates if replicates is None else replicates
    kind = executor or ("dask" if workers > 1 else "serial")
    ex = make_executor(kind, workers=workers)
    try:
        with Progress(TextColumn("simulated trials"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), transient=True, disable=R == 0) as bar:
            task = bar.add_task("trials", total=max(R, 1))
            res = run_trial(design, replicates=R, executor=ex,
                            progress=lambda done, total: bar.update(task, completed=done))
    finally:
        ex.close()
    summary = res.summary()
    summary["executor"] = {"kind": kind, "workers": workers}
    src = Path(design_ref)
    text = (src.read_text(encoding="utf-8") if design_ref not in list_examples()
            else example_text(design_ref))
    files: dict[str, object] = {"trial.json": summary, "design.toml": text,
                                "patients.parquet": res.patients}
    if res.replicate_rows:
        import pandas as pd

        files["replicates.parquet"] = pd.DataFrame(res.replicate_rows)
    if plots:
        files.update(_figures(res))
    folder.write(files)
    n_c, n_e = design.arm_sizes()
    typer.echo(f"{design.name}: {design.experimental} (n={n_e}) vs {design.control} (n={n_c}), "
               f"seed {design.seed}")
    for ep in design.endpoints:
        typer.echo(f"  {_fmt(ep, res.main[ep])}")
    for ep, pw in res.power.items():
        lo, hi = pw["success_ci"]
        star = " (primary)" if ep == design.primary else ""
        typer.echo(f"  power {ep.upper()}{star}: {100 * pw['success']:.1f}% of {pw['replicates']} "
                   f"simulated trials (95% CI {100 * lo:.1f}% to {100 * hi:.1f}%)")
    typer.echo(f"wrote {len(files)} files to {out}/")


def _figures(res) -> dict[str, object]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from ..plot.trials import hr_forest, km_by_arm

    d = res.design
    labels = {a: (c.label or a) for a, c in d.arms.items()}
    order = [d.experimental, d.control]
    figs: dict[str, object] = {}
    for ep in ("pfs", "os"):
        if f"{ep}_days" in res.patients.columns:
            ax = km_by_arm(res.patients, endpoint=ep, arms=order, labels=labels)
            ax.set_title(f"{d.name}: {ep.upper()} (virtual trial, seed {d.seed})", fontsize=10)
            figs[f"km_{ep}.png"] = ax.figure
    rows = [{"label": f"{ep.upper()} HR, trial 0", **res.main[ep]}
            for ep in ("pfs", "os") if ep in res.main]
    if rows:
        ax = hr_forest(rows, xlabel=f"hazard ratio {labels[d.experimental]} vs "
                                    f"{labels[d.control]} (95% CI)")
        figs["hr_forest.png"] = ax.figure
    for fig in figs.values():
        plt.close(fig)  # type: ignore[arg-type]
    return figs
