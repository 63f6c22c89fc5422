"""``oncodyn bench ...``: the benchmarks named in the issues, each writing stable JSON keys."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Benchmarks with JSON output (figures compared from run to run).",
                  no_args_is_help=True)


def _require_files(*paths: Path | None) -> None:
    """Fail with one clear line before any progress display starts."""
    from ..errors import DataError

    for p in paths:
        if p is not None and not Path(p).is_file():
            raise DataError("file not found", file=str(p))


class _LawProgress:
    """A rich progress bar over the laws of a benchmark (on stderr, so JSON/stdout stay clean)."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._p = Progress(TextColumn("{task.description}"), BarColumn(),
                           TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                           console=Console(stderr=True), transient=True)
        self._task = self._p.add_task("starting", total=total)
        self._started = False

    def __enter__(self) -> _LawProgress:
        self._p.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._started:
            self._p.update(self._task, advance=1, description="done")
        self._p.__exit__(*exc)

    def step(self, name: str) -> None:
        if self._started:
            self._p.update(self._task, advance=1)
        self._started = True
        self._p.update(self._task, description=f"fitting {name}")


@app.command("forecast")
def forecast_cmd(
    data: Path = typer.Option(..., "--data", help="TumorGrowth.jl table, flat or nested, the names 'oncodyn data inspect' reads: "
    "Pt_hashID, T_days or T_weeks, Lesion_diam, Lesion_vol or Lesion_normvol."),
    published: Path | None = typer.Option(None, "--published", help="Published per-record errors CSV (model_battle_errors.csv format)."),
    json_out: Path = typer.Option(Path("bench-forecast.json"), "--json", help="Where to write the JSON result."),
    seed: int = typer.Option(0, help="Seed of the paired bootstrap."),
) -> None:
    """Model battle: every classical law and LOCF on the last 2 readings (TumorGrowth.jl protocol)."""
    from ..bench import forecast

    _require_files(data, published)
    with _LawProgress(forecast.progress_steps()) as bar:
        out = forecast.run(data, published=published, json_out=json_out, seed=seed,
                           progress=bar.step)
    _print_forecast(out)
    _print_probabilistic(out)
    typer.echo(f"wrote {json_out}")


def _print_probabilistic(out: dict) -> None:
    """Intervals and P(PD) of the methods that give them (the JSON has every figure)."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"intervals and P(PD) on {out['records']} records "
                    f"(Brier of the base rate {out['brier_pd_base_rate']:.4f})")
    for c in ("method", "cover 80", "cover 95", "width 95", "IS 95", "CI IS - locf_quantile",
              "Brier PD"):
        t.add_column(c)
    num = lambda x, f=".4f": "-" if x is None else format(x, f)  # noqa: E731
    for name, m in out["methods"].items():
        if "coverage_95" not in m:
            continue
        ci = out["ci_interval_score_vs_locf_quantile"].get(name)
        t.add_row(name, num(m["coverage_80"], ".3f"), num(m["coverage_95"], ".3f"),
                  num(m["mean_width_95"], ".2e"), num(m["interval_score_95"], ".2e"),
                  "" if ci is None else f"[{ci[0]:.2e}, {ci[1]:.2e}]",
                  num(m.get("brier_pd")))
    Console().print(t)


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
        num = lambda x: "-" if x is None else f"{x:.6f}"  # noqa: E731
        t.add_row(name, num(m["mean_mae"]), num(m["median_mae"]), str(m["n_failed"]),
                  "" if pub is None else f"{pub:.6f}", fmt(ci_p), fmt(ci_l),
                  f"{out['wall_s'].get(name, float('nan')):.2f}")
    Console().print(t)


@app.command("fit")
def fit_cmd(
    data: Path = typer.Option(..., "--data", help="TumorGrowth.jl table, flat or nested, the names 'oncodyn data inspect' reads: "
    "Pt_hashID, T_days or T_weeks, Lesion_diam, Lesion_vol or Lesion_normvol."),
    json_out: Path = typer.Option(Path("bench-fit.json"), "--json", help="Where to write the JSON result."),
) -> None:
    """Batched calibration of every classical law vs a per-series scipy least_squares loop."""
    from ..bench import fit
    from ..models import CLASSICAL_LAWS

    _require_files(data)
    with _LawProgress(len(CLASSICAL_LAWS)) as bar:
        out = fit.run(data, json_out=json_out, progress=bar.step)
    typer.echo(f"{out['series']} series x {len(out['laws'])} laws: oncodyn {out['wall_s']['oncodyn']:.2f} s, "
               f"scipy loop {out['wall_s']['scipy_loop']:.2f} s, speedup {out['speedup']:.1f}, "
               f"loss not worse in {100 * out['loss_not_worse_fraction']:.2f}% of fits "
               f"({100 * out['loss_not_worse_fraction_tol']:.2f}% up to 1e-6 ties)")
    typer.echo(f"wrote {json_out}")

from ..bench import recist as _recist_bench  # noqa: E402

app.command("recist")(_recist_bench.recist)


from ..bench.simulate import bench_simulate  # noqa: E402

app.command("simulate")(bench_simulate)


from ..bench.popfit import bench_popfit  # noqa: E402

app.command("popfit")(bench_popfit)


from ..bench.app import bench_app as _bench_app_cmd  # noqa: E402

app.command("app")(_bench_app_cmd)
