"""``oncodyn bench ...``: the benchmarks named in the issues, each writing stable JSON keys."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Benchmarks with JSON output (figures compared from run to run).",
                  no_args_is_help=True)


def _progress():  # a rich status line for long work
    from rich.console import Console

    return Console(stderr=True).status("starting")


@app.command("forecast")
def forecast_cmd(
    data: Path = typer.Option(..., "--data", help="TumorGrowth.jl flat CSV (Pt_hashID, T_weeks, Lesion_normvol)."),
    published: Path | None = typer.Option(None, "--published", help="Published per-record errors CSV (model_battle_errors.csv format)."),
    json_out: Path = typer.Option(Path("bench-forecast.json"), "--json", help="Where to write the JSON result."),
    seed: int = typer.Option(0, help="Seed of the paired bootstrap."),
) -> None:
    """Model battle: every classical law and LOCF on the last 2 readings (TumorGrowth.jl protocol)."""
    from ..bench import forecast

    with _progress() as status:
        out = forecast.run(data, published=published, json_out=json_out, seed=seed,
                           progress=lambda s: status.update(f"fitting {s}"))
    _print_forecast(out)
    typer.echo(f"wrote {json_out}")


def _print_forecast(out: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"hold-out MAE on {out['records']} records")
    for c in ("method", "mean MAE", "median MAE", "failed", "published mean", "CI ours-published", "CI ours-LOCF", "wall s"):
        t.add_column(c)
    for name, m in out["methods"].items():
        pub = out["published"].get(name, {}).get("mean_mae")
        ci_p = out["ci_vs_published"].get(name)
        ci_l = out["ci_vs_locf"].get(name)
        fmt = lambda ci: "" if ci is None else f"[{ci[0]:.2e}, {ci[1]:.2e}]"  # noqa: E731
        t.add_row(name, f"{m['mean_mae']:.6f}", f"{m['median_mae']:.6f}", str(m["n_failed"]),
                  "" if pub is None else f"{pub:.6f}", fmt(ci_p), fmt(ci_l),
                  f"{out['wall_s'].get(name, float('nan')):.2f}")
    Console().print(t)


@app.command("fit")
def fit_cmd(
    data: Path = typer.Option(..., "--data", help="TumorGrowth.jl flat CSV."),
    json_out: Path = typer.Option(Path("bench-fit.json"), "--json", help="Where to write the JSON result."),
) -> None:
    """Batched calibration of every classical law vs a per-series scipy least_squares loop."""
    from ..bench import fit

    with _progress() as status:
        out = fit.run(data, json_out=json_out, progress=lambda s: status.update(f"fitting {s}"))
    typer.echo(f"{out['series']} series x {len(out['laws'])} laws: oncodyn {out['wall_s']['oncodyn']:.2f} s, "
               f"scipy loop {out['wall_s']['scipy_loop']:.2f} s, speedup {out['speedup']:.1f}, "
               f"loss not worse in {100 * out['loss_not_worse_fraction']:.2f}% of fits")
    typer.echo(f"wrote {json_out}")

from ..bench import recist as _recist_bench  # noqa: E402

app.command("recist")(_recist_bench.recist)


from ..bench.simulate import bench_simulate  # noqa: E402

app.command("simulate")(bench_simulate)
