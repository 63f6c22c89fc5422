"""``oncodyn fit``: calibrate a model to your own tumour-size file and write the results.

A thin skin: read the file exactly as ``oncodyn data inspect`` does (same flags, same column
names, :func:`oncodyn.cli.data.read_input`), call :func:`oncodyn.inference.fit` (or
``oncodyn.population.fit_population`` with ``--population``), and write, atomically, into
``--out``: ``parameters.csv`` and ``parameters.parquet`` (one row per series, with status and
message), ``fit_report.json`` and ``fit_report.md`` (:mod:`oncodyn.report.fit_report`) and the
diagnostic plots. Research and teaching software, not a clinical decision tool.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import typer

from ..errors import ConfigError
from ..report.fit_report import series_label
from .data import (
    BLANK_OPT,
    DECIMAL_OPT,
    DUPLICATES_OPT,
    FORMAT_OPT,
    MAP_OPT,
    MAX_SIZE_OPT,
    NE_OPT,
    SEP_OPT,
    SIZE_UNIT_OPT,
    TIME_UNIT_OPT,
    TSTM_OPT,
    ZERO_OPT,
    Format,
    read_input,
)


class Observable(StrEnum):
    diameter = "diameter"
    volume = "volume"


class Scale(StrEnum):
    linear = "linear"
    log = "log"


class ErrorModel(StrEnum):
    additive = "additive"
    proportional = "proportional"
    combined = "combined"


class Prior(StrEnum):
    none = "none"
    empirical_bayes = "empirical-bayes"
    population = "population"


#: Options shared with ``oncodyn forecast`` (one definition).
MODEL_OPT = typer.Option(..., "--model", "-m", help="Model name (see 'oncodyn models').")
OBSERVABLE_OPT = typer.Option(Observable.diameter, "--observable",
                              help="Fit the diameters as read (mm) or sphere volumes pi d^3/6 "
                              "(mm^3).")
SCALE_OPT = typer.Option(Scale.linear, "--scale", help="Residual scale: linear or log.")
ERROR_OPT = typer.Option(None, "--error", help="Residual error model (default additive for "
                         "individual fits, proportional for the population fit).")
PENALTY_OPT = typer.Option(None, "--penalty", min=0.0,
                           help="TumorGrowth.jl penalty exponent lam: loss x ((v0^2 + v_inf^2)/"
                           "(2 v0 v_inf))^lam (TumorGrowth.jl uses 0.8); laws with v0 and v_inf.")
PRIOR_OPT = typer.Option(Prior.none, "--prior",
                         help="Prior of the individual fit: none; empirical-bayes (Gaussian "
                         "prior from the moments of all series' unpenalised fits); population "
                         "(typical values and Omega of a population fit of the same data).")
FORCE_OPT = typer.Option(False, "--force", help="Replace an earlier oncodyn output in --out.")


def _stages() -> Any:
    """A rich progress bar over named stages on stderr (stdout stays for results); shown only
    on a terminal, so that piped or logged error output stays one line."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    return Progress(TextColumn("{task.description}"), BarColumn(),
                    TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                    console=console, transient=True, disable=not console.is_terminal)


def check_model_options(model: Any, penalty: float | None) -> None:
    """Refuse impossible combinations before any file is read."""
    if penalty:
        from ..inference.regularise import penalty_indices

        penalty_indices(model)


def _norm_key(key: Any) -> tuple[Any, ...]:
    import pandas as pd

    return tuple(None if pd.isna(x) else str(x) for x in key)


def split_ids(frame: Any, ids: Any, table: Any, column: str = "id") -> Any:
    """Replace the tuple id column by study, arm, subject, series (arm from the table)."""
    import pandas as pd

    key = ["study", "subject", "series"]
    first = table.drop_duplicates(key)
    arm_of = {_norm_key(k): (None if pd.isna(a) else str(a)) for k, a in
              zip(first[key].itertuples(index=False, name=None), first["arm"], strict=True)}
    keys = [_norm_key(k) for k in ids]
    out = pd.DataFrame({"study": [k[0] for k in keys], "arm": [arm_of.get(k) for k in keys],
                        "subject": [k[1] for k in keys], "series": [k[2] for k in keys]},
                       dtype=object)
    rest = frame.drop(columns=[column]).reset_index(drop=True)
    return pd.concat([out, rest], axis=1)


def population_api() -> Any:
    """``oncodyn.population`` (fit_population), or a ConfigError saying it is not available."""
    try:
        from .. import population
    except ImportError as exc:  # the package is being built; say so instead of a traceback
        raise ConfigError(f"population fits are not available in this installation ({exc})"
                          ) from None
    if not hasattr(population, "fit_population"):
        raise ConfigError("population fits are not available in this installation "
                          "(oncodyn.population has no fit_population)")
    return population


def fit_cmd(
    data: Path = typer.Argument(..., help="Tumour-size file (any layout 'oncodyn data inspect' "
                                "reads)."),
    model: str = MODEL_OPT,
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (created; see --force)."),
    population: bool = typer.Option(False, "--population", help="Population (mixed-effects) "
                                    "fit across all series instead of series one by one."),
    covariate: list[str] = typer.Option(
        [], "--covariate", help="Covariate on the typical values (population fit; repeatable): "
        "NAME (a column of the loaded table, e.g. arm or study, on every parameter) or "
        "NAME:PARAM[+PARAM]; 'baseline_size' is each series' first size (power model). Text "
        "values are categorical (reference: the most frequent level)."),
    observable: Observable = OBSERVABLE_OPT,
    scale: Scale = SCALE_OPT,
    error: ErrorModel | None = ERROR_OPT,
    penalty: float | None = PENALTY_OPT,
    optimiser: str = typer.Option(
        "lm", "--optimiser", help="lm: batched Levenberg-Marquardt to the least-squares optimum "
        "(default); tumorgrowth: TumorGrowth.jl's early-stopped Adam recipe (linear additive "
        "loss, penalty 0.8 unless --penalty; growth laws only; see docs/models.md#optimisers)."),
    prior: Prior = PRIOR_OPT,
    seed: int = typer.Option(0, "--seed", help="Seed of the population fit's random numbers."),
    max_panels: int = typer.Option(24, "--max-panels", min=1,
                                   help="Individual-fit panels drawn at most."),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="Draw the diagnostic plots."),
    force: bool = FORCE_OPT,
    format: Format = FORMAT_OPT,
    mapping: str | None = MAP_OPT,
    tstm: str = TSTM_OPT,
    ne: str = NE_OPT,
    blank: str = BLANK_OPT,
    duplicates: str = DUPLICATES_OPT,
    zero: str = ZERO_OPT,
    max_size: float | None = MAX_SIZE_OPT,
    time_unit: str = TIME_UNIT_OPT,
    size_unit: str = SIZE_UNIT_OPT,
    sep: str | None = SEP_OPT,
    decimal: str | None = DECIMAL_OPT,
) -> None:
    """Fit MODEL to every series of DATA; write parameters, a report and plots into --out."""
    from ..data.outputs import reserve_output_folder
    from ..models import get_model

    spec = get_model(model)
    check_model_options(spec, penalty)
    if optimiser not in ("lm", "tumorgrowth"):
        raise ConfigError(f"--optimiser must be lm or tumorgrowth, got {optimiser!r}")
    if optimiser == "tumorgrowth" and (population or prior is not Prior.none):
        raise ConfigError("--optimiser tumorgrowth is an individual least-squares recipe: no "
                          "--population or --prior with it")
    if covariate and not population:
        raise ConfigError("--covariate applies to the population fit: add --population")
    if prior is Prior.population and population:
        raise ConfigError("--prior population is for individual fits; --population already "
                          "fits the population")
    if population or prior is Prior.population:
        population_api()
    parse_covariates(covariate, spec.param_names)
    with reserve_output_folder(out, overwrite=force) as folder, _stages() as bar:
        task = bar.add_task("reading", total=5)
        loaded = read_input(data, format=format, mapping=mapping, tstm=tstm, ne=ne, blank=blank,
                            duplicates=duplicates, zero=zero, max_size=max_size,
                            time_unit=time_unit, size_unit=size_unit, sep=sep, decimal=decimal)
        bar.update(task, advance=1, description="fitting")
        options = {"model": spec.name, "observable": observable.value, "scale": scale.value,
                   "error": None if error is None else error.value, "penalty": penalty, "optimiser": optimiser, "prior": prior.value,
                   "population": population, "covariates": list(covariate), "seed": seed,
                   "plots": plots, "max_panels": max_panels}
        files, result, batch, pop = run_fit(loaded, spec, options, bar=bar, task=task)
        bar.update(task, advance=1, description="plotting")
        if plots:
            files.update(draw_plots(batch, result, pop, max_panels=max_panels,
                                    observable=observable.value))
        bar.update(task, advance=1, description="writing")
        folder.write(files)
        bar.update(task, advance=1, description="done")
    _print_summary(files["fit_report.json"], out)


def run_fit(loaded: Any, spec: Any, options: dict[str, Any], *, bar: Any = None,
            task: Any = None) -> tuple[dict[str, Any], Any, Any, Any]:
    """Fit and build the output files (tables, report); returns (files, result, batch, pop).

    Individual fits are always made (their status flags the parameters a series does not
    determine); with ``population`` the mixed-effects fit is added (population table, EBEs,
    convergence trace), and with ``prior`` the individual fits are MAP estimates under that prior.
    """
    from ..inference import batch_from_table, fit
    from ..report.fit_report import fit_report, fit_report_markdown

    table = loaded.table
    batch = batch_from_table(table, observable=options["observable"])
    kwargs = {"scale": options["scale"], "error": options["error"] or "additive"}
    if options["penalty"]:
        kwargs["penalty"] = float(options["penalty"])
    if options.get("optimiser", "lm") == "tumorgrowth":
        kwargs["optimiser"] = "tumorgrowth"
        kwargs.setdefault("penalty", 0.8)  # TumorGrowth.jl's default (src/api.jl)
    pop = None
    if options["population"] or options["prior"] == "population":
        pop = fit_population_cli(spec, batch, table, options, bar=bar, task=task)
    prior = None
    if options["prior"] == "empirical-bayes":
        from ..inference.regularise import empirical_bayes_prior

        prior = empirical_bayes_prior(fit(spec, batch, **kwargs))
    elif options["prior"] == "population":
        prior = population_prior(pop, kwargs["scale"])
    result = fit(spec, batch, prior=prior, **kwargs)
    params = split_ids(result.to_frame(), result.ids, table)
    report = fit_report(loaded.report, result, options=options,
                        observable=options["observable"],
                        population=pop if options["population"] else None)
    files: dict[str, Any] = {"parameters.csv": params, "parameters.parquet": params,
                             "fit_report.json": report,
                             "fit_report.md": fit_report_markdown(report)}
    if options["population"]:
        files["population.csv"] = pop.to_frame()
        files["population.parquet"] = files["population.csv"]
        ebe = split_ids(pop.individual_frame(), pop.ids, table)
        files["individual_ebe.csv"] = ebe
        files["population_trace.csv"] = trace_frame(pop)
        files.update(population_diagnostics(pop, batch, seed=options["seed"],
                                            max_panels=options["max_panels"],
                                            plots=options["plots"]))
    return files, result, batch, pop


def trace_frame(pop: Any) -> Any:
    """SAEM convergence trace, one row per iteration (typical values, Omega diagonal, error)."""
    import pandas as pd

    tr = pop.trace
    d: dict[str, Any] = {"iteration": np.arange(1, len(tr.loglik) + 1),
                         "phase": ["exploration" if k < tr.k1 else "smoothing"
                                   for k in range(len(tr.loglik))]}
    for j, name in enumerate(pop.param_names):
        d[f"theta_{name}"] = tr.theta[:, j]
    for j, name in enumerate(pop.param_names):
        d[f"omega_{name}"] = tr.omega[:, j]
    d["error_a"], d["error_b"] = tr.error[:, 0], tr.error[:, 1]
    d["loglik"] = tr.loglik
    return pd.DataFrame(d)


def parse_covariates(specs: list[str], param_names: tuple[str, ...]) -> dict[str, list[str]]:
    """``NAME`` (on every parameter) or ``NAME:p1+p2`` -> {covariate: [parameters]}."""
    out: dict[str, list[str]] = {}
    for item in specs:
        name, _, params = item.partition(":")
        name = name.strip()
        targets = [p.strip() for p in params.split("+")] if params.strip() else list(param_names)
        unknown = [p for p in targets if p not in param_names]
        if not name or unknown:
            raise ConfigError(f"--covariate {item!r}: expected NAME or NAME:PARAM[+PARAM] with "
                              f"parameters among {', '.join(param_names)}")
        out[name] = targets
    return out


#: Derived covariate: the first reading of each series (mm), entering as log(size / median).
BASELINE = "baseline_size"


def series_covariates(table: Any, batch: Any, names: list[str]) -> Any:
    """One value per series of each covariate: its value at the series' first reading.

    ``baseline_size`` (when not a column) is the series' first size. A covariate that changes
    within a series is refused (a time-varying covariate is not a typical-value covariate).
    """
    import pandas as pd

    key = ["study", "subject", "series"]
    firsts = table.sort_values(key + ["time"], kind="stable").drop_duplicates(key, keep="first")
    pos = {_norm_key(k): i for i, k in enumerate(firsts[key].itertuples(index=False, name=None))}
    idx = np.array([pos[_norm_key(k)] for k in batch.ids], dtype=int)
    out = {}
    for name in names:
        if name == BASELINE and name not in table.columns:
            out[name] = firsts["size"].to_numpy()[idx]
            continue
        if name not in table.columns:
            raise ConfigError(f"--covariate {name!r}: no such column in the loaded table "
                              f"(columns: {', '.join(map(str, table.columns))}; or "
                              f"{BASELINE!r}, the first size of each series)")
        if name not in key:
            varying = table.groupby(key, dropna=False)[name].nunique(dropna=False)
            if (varying > 1).any():
                bad = varying[varying > 1].index[0]
                raise ConfigError(f"--covariate {name!r} changes within series {bad}: only "
                                  "covariates constant within a series are supported")
        values = pd.Series(firsts[name].to_numpy()[idx])
        missing = values.isna().to_numpy()
        if missing.all():
            raise ConfigError(f"--covariate {name!r}: the column is empty"
                              + (f" (map it with --map {name}=COLUMN)" if name in
                                 ("study", "arm") else ""))
        if missing.any():
            key0 = batch.ids[int(np.flatnonzero(missing)[0])]
            raise ConfigError(f"--covariate {name!r}: missing for {int(missing.sum())} series "
                              f"(first: {'/'.join(map(str, key0))})")
        out[name] = values.to_numpy()
    return pd.DataFrame(out)


def fit_population_cli(spec: Any, batch: Any, table: Any, options: dict[str, Any], *,
                       bar: Any = None, task: Any = None) -> Any:
    """:func:`oncodyn.population.fit_population` with the CLI's covariates and a progress bar."""
    population = population_api()
    effects = parse_covariates(options["covariates"], spec.param_names)
    covs = None
    if effects:
        values = series_covariates(table, batch, list(effects))
        by_param: dict[str, list[str]] = {}
        for cov, params in effects.items():
            for p in params:
                by_param.setdefault(p, []).append(cov)
        covs = population.Covariates(values=values, effects=by_param,
                                     log=(BASELINE,) if BASELINE in effects else ())
    progress = None
    if bar is not None:
        sub = bar.add_task("population fit (SAEM)", total=1)

        def progress(done: int, total: int) -> None:
            bar.update(sub, completed=done, total=total)

    return population.fit_population(spec, batch, covariates=covs, seed=options["seed"],
                                     error=options["error"] or "proportional",
                                     lloq=population.size_lloq(options["observable"]),
                                     progress=progress)


def population_prior(pop: Any, scale: str) -> Any:
    """Gaussian prior of the individual fit from a population fit: mean = typical values
    (transformed scale, per series with covariates), cov = Omega (a tiny variance, 1e-8, for
    parameters without a random effect, i.e. held at the typical value), sigma = the additive
    residual SD ``a`` (data unit) or, without one, ``b`` x the median observation."""
    from ..inference.regularise import GaussianPrior

    n = len(pop.ids)
    cov_values = None
    if pop.coding.terms:
        raise ConfigError("--prior population with covariates is not supported: fit without "
                          "--covariate, or use the EBEs of --population")
    mean = pop.typical_phi(cov_values, n)
    cov = np.array(pop.omega, float)
    fixed = ~np.asarray(pop.random, bool)
    cov[fixed, :] = 0.0
    cov[:, fixed] = 0.0
    cov[fixed, fixed] = 1e-8
    sig = pop.sigma
    if scale == "log":
        sigma = float(sig.get("b") or 0.1)
    else:
        sigma = float(sig.get("a") or (sig.get("b", 0.1) * float(np.nanmedian(pop.ipred))))
    return GaussianPrior(mean=mean, cov=cov, sigma=sigma)


def draw_plots(batch: Any, result: Any, pop: Any, *, max_panels: int,
               observable: str) -> dict[str, Any]:
    """The individual-fit panels (the population diagnostics: :func:`population_diagnostics`)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from ..plot.individual import fit_panels

    ylabel = "diameter (mm)" if observable == "diameter" else "volume (mm³)"
    labels = [series_label(k) for k in batch.ids]
    return {"individual_fits.png": fit_panels(batch, result, max_panels=max_panels,
                                              labels=labels, ylabel=ylabel)}


def population_diagnostics(pop: Any, batch: Any, *, seed: int, max_panels: int,
                           plots: bool) -> dict[str, Any]:
    """Files of the population diagnostics (:mod:`oncodyn.population.diagnostics`): the
    residual table (PRED, IPRED, IWRES, NPDE per reading) and, with ``plots``, the
    prediction-corrected VPC, observed vs PRED and IPRED, NPDE vs time, individual fits
    (EBE and typical curves) and the SAEM trace (:mod:`oncodyn.plot.population`)."""
    from ..population import diagnostics

    table = diagnostics.residual_table(pop, batch, seed=seed)
    table.insert(0, "id", [series_label(k) for k in table.pop("id")])
    files: dict[str, Any] = {"population_residuals.csv": table}
    if not plots:
        return files
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from ..plot import population as pplot
    from ..plot.individual import panel_selection

    fig, ax = plt.subplots(figsize=(6, 4))
    pplot.vpc(diagnostics.pcvpc(pop, batch, seed=seed), ax=ax)
    files["population_vpc.png"] = fig
    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    pplot.obs_vs_pred(table, which="pred", ax=axes[0])
    pplot.obs_vs_pred(table, which="ipred", ax=axes[1])
    files["population_obs_vs_pred.png"] = fig
    fig, ax = plt.subplots(figsize=(6, 4))
    pplot.npde_vs_time(table, ax=ax)
    files["population_npde.png"] = fig
    shown = panel_selection(len(batch), max_panels)
    axes = pplot.individual_fits(pop, batch, shown.tolist(), ncols=6)
    for ax, i in zip(axes.ravel(), shown, strict=False):
        ax.set_title(series_label(batch.ids[i]), fontsize=7)
    fig = axes.ravel()[0].figure
    fig.suptitle(f"population fit: individual (EBE) and typical curves, {len(shown)} of "
                 f"{len(batch)} series" + ("" if len(shown) == len(batch) else
                                          ", evenly spaced through the series order"),
                 fontsize=9)
    fig.tight_layout()
    files["population_individual_fits.png"] = fig
    fig, ax = plt.subplots(figsize=(6, 4))
    pplot.saem_trace(pop, ax=ax)
    files["population_saem_trace.png"] = fig
    return files


def _print_summary(report: dict[str, Any], out: Path) -> None:
    d, f = report["data"], report["fit"]
    counts = ", ".join(f"{v} {k}" for k, v in f["status_counts"].items())
    typer.echo(f"{d['rows_loaded']} of {d['rows_read']} rows loaded ({d['rows_dropped']} dropped), "
               f"{f['series']} series fitted with {report['model']['name']}: {counts}")
    for name, info in f["non_identifiable"].items():
        typer.secho(f"warning: {name} not identified by the data in {info['count']} series "
                    "(status not_identifiable; see fit_report.md in the output folder, "
                    "explained in docs/fit_report.md#not-identified)", err=True, fg="yellow")
    pop = report.get("population")
    if pop is not None and pop.get("status") != "converged":
        typer.secho(f"warning: population fit status {pop.get('status')}: "
                    + "; ".join(pop.get("messages", [])), err=True, fg="yellow")
    typer.echo(f"wrote {out}")
