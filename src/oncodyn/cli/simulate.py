"""``oncodyn simulate`` and ``oncodyn scenarios``: thin CLI over :func:`oncodyn.simulate.simulate`."""

from __future__ import annotations

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
    ctx: typer.Context,
    scenario: str = typer.Argument(..., help="Preset name or scenario TOML file."),
    patients: int = typer.Option(200, "--patients", "-n", min=1, help="Number of virtual patients (>= 1)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Root seed, >= 0 (results are identical for the same seed)."),
    out: Path = typer.Option(Path("simulation"), "--out", help="Output folder (created; must be empty)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing oncodyn output folder at --out."),
    executor: str = typer.Option("serial", "--executor", help="serial or dask."),
    workers: int = typer.Option(2, "--workers", min=1, help="Dask LocalCluster workers."),
    scheduler: str = typer.Option(None, "--scheduler",
                                  help="Dask scheduler address of an existing cluster (implies --executor dask)."),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="Write PNG figures."),
    csv: bool = typer.Option(False, "--csv", help="Also write every table as CSV (X.csv next to X.parquet)."),
) -> None:
    """Simulate a virtual cohort and write trajectories, scans, RECIST results, events, symptoms,
    summary and plots into --out (all files or none)."""
    import numpy as np

    from ..data.outputs import reserve_output_folder
    from ..scenarios import load_scenario
    from ..simulate import simulate as run_sim
    from ..simulate.budget import check_memory
    from ..simulate.recist_arrays import simulator_recist_options
    from ..simulate.symptoms import symptom_inputs, symptom_score
    from ..trials import make_executor

    sc = load_scenario(scenario)  # bad TOML: one-line ConfigError before any work
    # bad or busy --out: one-line error before simulating; the lock is held until the end
    folder = ctx.with_resource(reserve_output_folder(out, overwrite=force))
    check_memory(sc, patients)  # a cohort that cannot fit in memory: refused with the estimate
    if scheduler:
        _check_scheduler(scheduler)  # unreachable cluster: one line now, not after a timeout
    ex = make_executor("dask" if scheduler else executor, workers=workers, address=scheduler)
    import warnings

    from ..patients.baseline import BaselineFallbackWarning

    try:
        with warnings.catch_warnings():  # said once below, from the summary
            warnings.simplefilter("ignore", BaselineFallbackWarning)
            res = run_sim(sc, n_patients=patients, seed=seed, keep="all", executor=ex)
    finally:
        ex.close()
    inputs = symptom_inputs(res)
    tr = inputs["trajectories"]
    # no symptom score after death / withdrawal: the burden is undefined there (NaN)
    tr = tr[np.isfinite(tr["burden_mm"].to_numpy(dtype=float))]
    n_off_study = res.burden.size - len(tr)
    symptoms = symptom_score(**{**inputs, "trajectories": tr})
    summary = res.summary()
    files: dict[str, object] = {
        "patients.parquet": res.patients_frame(),
        "trajectories.parquet": res.trajectories_frame(),
        "lesions.parquet": res.lesions_frame(),
        "recist_timepoints.parquet": res.timepoints_frame(),
        "events.parquet": res.events_frame(),
        "symptoms.parquet": symptoms,
        "summary.json": summary,
        # the RECIST options of the simulator's best response: `oncodyn recist lesions.parquet
        # --options recist_options.toml` reproduces every patient's best overall response
        "recist_options.toml": simulator_recist_options(sc).to_toml(
            header=f"RECIST options of `oncodyn simulate {sc.name}` (oncodyn.simulate.recist_arrays)."),
    }
    if csv:  # same tables, same rows and columns, as CSV
        files.update({k.removesuffix(".parquet") + ".csv": v for k, v in list(files.items())
                      if k.endswith(".parquet")})
    if plots:
        from ..plot.treatment import simulation_figures

        on_chemo = np.zeros(res.burden.shape, dtype=bool)  # off study = not on chemotherapy
        on_chemo[tr["subject_id"].to_numpy(), np.searchsorted(res.grid, tr["day"].to_numpy())] = \
            tr["on_chemo"].to_numpy(dtype=bool)
        for name, fig in simulation_figures(res, symptoms=symptoms, on_chemo=on_chemo).items():
            files[f"{name}.png"] = fig
        from ..plot.survival import km_plot

        pf = files["patients.parquet"]
        files["km_pfs.png"] = km_plot(pf, endpoint="pfs").figure
        files["km_os.png"] = km_plot(pf, endpoint="os").figure
    folder.write(files)
    # plain echo: one summary line, never wrapped to the terminal width (scripts parse it)
    typer.echo(f"{summary['scenario']}: {patients} patients, seed {seed}")
    typer.echo(format_summary(summary))
    if "median_os_months" in summary:
        typer.echo(format_survival(summary))
    if summary.get("baseline_source") == "poplar":
        drops = summary["baseline_rows_dropped"]
        typer.echo(f"baseline: whole rows resampled from {summary['baseline_file']} "
                   f"({summary['baseline_rows']} rows of {', '.join(summary['baseline_arms'])}; "
                   f"{len(drops)} dropped" + "".join(f"; line {d['line']} {d['column']}: {d['reason']}"
                                                     for d in drops[:5]) + ")")
    if summary.get("baseline_note"):
        typer.secho(f"warning: {summary['baseline_note']}", err=True, fg="yellow")
    if n_off_study:
        typer.echo(f"symptoms.parquet: {n_off_study} patient-weeks after death or withdrawal have no score "
                   "(no burden off study)")
    typer.echo(f"wrote {len(files)} files to {out}/")


def _check_scheduler(address: str, timeout_s: float = 5.0) -> None:
    """Refuse a --scheduler address that does not parse or does not accept a TCP connection."""
    import socket
    from urllib.parse import urlsplit

    from ..errors import ConfigError

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or port is None:
        raise ConfigError(f"--scheduler {address!r}: expected tcp://HOST:PORT")
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        raise ConfigError(f"--scheduler {address}: cannot connect "
                          f"({exc.strerror or exc or 'timed out'})") from None


def _months(x: float | None) -> str:
    return "not reached" if x is None else f"{x:.1f}"


def _pct(x: float | None) -> str:
    return "not reached" if x is None else f"{100.0 * x:.1f}%"


def format_survival(summary: dict) -> str:
    """One line: median OS with its 95% CI (months, 1 decimal), deaths and treatment exposure."""
    lo, hi = summary["median_os_ci_months"]
    med = summary["median_os_months"]
    unit = "" if med is None else " months"
    line = (f"median OS {_months(med)}{unit} (95% CI {_months(lo)} to {_months(hi)} months), "
            f"{summary['os_events']} deaths ({summary['deaths_after_progression']} after progression), "
            f"{summary['withdrawals']} withdrawals")
    if summary.get("time_on_treatment_weeks_mean") is not None:
        rdi = summary["relative_dose_intensity_mean"]
        line += (f"; on treatment {summary['time_on_treatment_weeks_mean']:.1f} weeks, treatment-free "
                 f"{summary['treatment_free_weeks_mean']:.1f} weeks, relative dose intensity "
                 f"{'n/a' if rdi is None else f'{100 * rdi:.0f}%'} (means)")
    return line


def format_summary(summary: dict) -> str:
    """One line: ORR and DCR with 95% CIs (1 decimal, %), median PFS with CI (months, 1 decimal).

    A median or CI bound that the Kaplan-Meier curve does not reach (None in the summary) reads
    "not reached".
    """
    lo, hi = summary["orr_ci"]
    dlo, dhi = summary["dcr_ci"]
    mlo, mhi = summary["median_pfs_ci_months"]
    med = summary["median_pfs_months"]
    unit = "" if med is None else " months"
    return (f"ORR {_pct(summary['orr'])} (95% CI {_pct(lo)} to {_pct(hi)}), "
            f"DCR {_pct(summary['dcr'])} (95% CI {_pct(dlo)} to {_pct(dhi)}), "
            f"median PFS {_months(med)}{unit} (95% CI {_months(mlo)} to {_months(mhi)} months)"
            + (" [progression is only seen at scans, so many patients progress on the same scan "
               "day: the median and both CI limits fall on that day]"
               if med is not None and mlo == med == mhi else ""))
