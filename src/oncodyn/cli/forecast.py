"""``oncodyn forecast``: forecast every series of your own file beyond its last scan.

A thin skin over :func:`oncodyn.inference.predictive.forecast_ahead`: the file is read
exactly as ``oncodyn data inspect`` reads it (same flags and column names), each series gets
future scan times (every ``--every`` weeks after its last scan, up to ``--horizon`` weeks), and
the forecasting method (a model conditioned on each series' scans through an empirical-Bayes
prior, or through a population fit with ``--population``) gives point forecasts, 80% and 95%
prediction intervals calibrated by cross-fitting on other series' own scans, and the probability
that the next scan meets the RECIST 1.1 size rule for progression. Written atomically into
``--out``: ``forecasts.csv``/``.parquet`` (one row per series and future scan),
``next_scan.csv`` (one row per series) and ``forecast_report.json``/``.md``.

Research and teaching software, not a clinical decision tool: P(PD) is a statistical model's
statement about trial lesions, not a prognosis for a person.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import typer

from ..errors import ConfigError
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
from .fit import FORCE_OPT, MODEL_OPT, OBSERVABLE_OPT, Observable, population_api, split_ids

#: Default interval between scans, weeks: RECIST 1.1 (Eisenhauer et al. 2009, Eur J Cancer
#: 45:228, section 4.3 "frequency of tumour re-evaluation") finds every 6-8 weeks reasonable on
#: treatment; 6 weeks is the usual choice of trial protocols (illustrative default).
SCAN_EVERY_WEEKS = 6.0
DISCLAIMER = ("Research and teaching software, not a clinical decision tool: forecasts and "
              "P(PD) describe a statistical model of tumour-size series, not a prognosis.")


def future_times(t_last: np.ndarray, horizon_weeks: float, every_weeks: float) -> np.ndarray:
    """Scan times (days) after each series' last scan: every ``every_weeks`` up to the horizon
    (the horizon itself added when it is not a multiple), shape (n_series, K)."""
    if not (np.isfinite(horizon_weeks) and horizon_weeks > 0):
        raise ConfigError(f"--horizon must be a positive number of weeks, got {horizon_weeks}")
    if not (np.isfinite(every_weeks) and every_weeks > 0):
        raise ConfigError(f"--every must be a positive number of weeks, got {every_weeks}")
    if horizon_weeks / every_weeks > 200:
        raise ConfigError(f"--horizon {horizon_weeks:g} / --every {every_weeks:g} gives more "
                          "than 200 future scans; widen --every")
    k = int(np.floor(horizon_weeks / every_weeks + 1e-9))
    weeks = [every_weeks * (i + 1) for i in range(k)]
    if not weeks or horizon_weeks - weeks[-1] > 1e-9:
        weeks.append(horizon_weeks)
    return t_last[:, None] + 7.0 * np.asarray(weeks)[None, :]


def diameter_scale(observable: str) -> Any:
    """Calibration scale of the forecasts: the diameter in mm (that of the sphere of the volume
    for ``volume``), with the spread floor of ``oncodyn bench forecast``'s population
    forecasters (:data:`oncodyn.inference.forecasters.DIAMETER_FLOOR_MM`, 1 mm: about the
    reading precision of a CT diameter), so that the CLI and the benchmark forecast alike."""
    from ..inference.forecasters import DIAMETER_FLOOR_MM
    from ..inference.predictive import Scale
    from ..models.geometry import sphere_diameter, sphere_volume

    def ident(v: Any) -> np.ndarray:
        return np.asarray(v, float)

    to_d = ident if observable == "diameter" else sphere_diameter
    from_d = ident if observable == "diameter" else sphere_volume
    return Scale(to=to_d, back=from_d, diameter_mm=to_d, from_diameter_mm=from_d,
                 floor=DIAMETER_FLOOR_MM)


def forecast_cmd(
    data: Path = typer.Argument(..., help="Tumour-size file (any layout 'oncodyn data inspect' "
                                "reads)."),
    model: str = MODEL_OPT,
    horizon: float = typer.Option(..., "--horizon", help="Forecast up to this many weeks after "
                                  "each series' last scan."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder (created; see --force)."),
    every: float = typer.Option(SCAN_EVERY_WEEKS, "--every", help="Weeks between future scans "
                                "(default 6: RECIST 1.1 suggests every 6-8 weeks on treatment)."),
    population: bool = typer.Option(False, "--population", help="Condition on a population "
                                    "(mixed-effects) fit instead of an empirical-Bayes prior."),
    observable: Observable = OBSERVABLE_OPT,
    draws: int = typer.Option(200, "--draws", min=20, help="Posterior draws per series."),
    folds: int = typer.Option(10, "--folds", min=2, help="Cross-fitting folds (by series) "
                              "that calibrate the intervals."),
    seed: int = typer.Option(0, "--seed", help="Seed of every random step."),
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
    """Forecast every series of DATA up to --horizon weeks: points, 80%/95% intervals, P(PD)."""
    from ..data.outputs import reserve_output_folder
    from ..models import get_model
    from .fit import _stages

    spec = get_model(model)
    future_times(np.zeros(1), horizon, every)  # option errors before any reading
    if population:
        population_api()
    with reserve_output_folder(out, overwrite=force) as folder, _stages() as bar:
        task = bar.add_task("reading", total=4)
        loaded = read_input(data, format=format, mapping=mapping, tstm=tstm, ne=ne, blank=blank,
                            duplicates=duplicates, zero=zero, max_size=max_size,
                            time_unit=time_unit, size_unit=size_unit, sep=sep, decimal=decimal)
        bar.update(task, advance=1, description="forecasting (fits and calibration)")
        options = {"model": spec.name, "horizon_weeks": horizon, "every_weeks": every,
                   "population": population, "observable": observable.value,
                   "draws": draws, "folds": folds, "seed": seed}
        files = run_forecast(loaded, spec, options)
        bar.update(task, advance=1, description="writing")
        folder.write(files)
        bar.update(task, advance=2, description="done")
    rep = files["forecast_report.json"]
    for message in rep["warnings"]:
        typer.secho(f"warning: {message}", err=True, fg="yellow")
    typer.echo(f"{rep['data']['series_forecast']} series forecast up to {horizon:g} weeks with "
               f"{rep['method']['name']} ({rep['data']['series_without_forecast']} without)")
    typer.echo(f"wrote {out}")


def forecast_each_scan(spec: Any, batch: Any, t_new: np.ndarray, scale: Any, *, name: str,
                       population: bool, n_draws: int, n_folds: int, seed: int,
                       lloq: float | None = None) -> Any:
    """:func:`~oncodyn.inference.predictive.forecast_ahead` of the future scans ``t_new``.

    The calibration scores come from one-scan-ahead pseudo-forecasts of each series' last known
    scan (``holdout=1``) whatever the horizon (scores are scaled by sqrt(time since the last
    scan) for later scans), cross-fitted by series over ``n_folds`` folds; the posterior of each
    training batch (SAEM or empirical Bayes) is computed once and shared by all future scans.
    ``lloq``: censoring limit of the SAEM fit (:func:`oncodyn.population.size_lloq`).
    Returns a :class:`~oncodyn.inference.predictive.ProbabilisticForecast` over all future
    scans, with P(PD) for the first.
    """
    from ..inference.forecasters import (
        empirical_bayes_draws,
        memo_by_batch,
        population_method,
        saem_population,
    )
    from ..inference.predictive import LEVELS, forecast_ahead

    if population:  # the benchmark's SAEM posterior: the same for the CLI and the bench
        draws = saem_population(spec.name, n_draws=n_draws, seed=seed, lloq=lloq)
    else:
        def draws(train: Any) -> Any:
            return empirical_bayes_draws(spec, train, n_draws, np.random.default_rng(seed))
    method = population_method(spec, scale, n_draws=n_draws, seed=seed,
                               population=memo_by_batch(draws))
    return forecast_ahead(method, batch, t_new, scale=scale, name=name, holdout=1,
                          levels=LEVELS, n_folds=n_folds, seed=seed)


def run_forecast(loaded: Any, spec: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Forecast and build the output files (tables and report)."""
    import pandas as pd

    from ..inference import batch_from_table
    from ..inference.scores import pd_threshold
    from ..population import size_lloq
    from ..report.fit_report import series_label

    table = loaded.table
    batch = batch_from_table(table, observable=options["observable"])
    r = np.arange(len(batch))
    t_last, y_last = batch.last()
    t_new = future_times(t_last, options["horizon_weeks"], options["every_weeks"])
    scale = diameter_scale(options["observable"])
    name = f"{'population' if options['population'] else 'empirical_bayes'}_{spec.name}"
    pf = forecast_each_scan(spec, batch, t_new, scale, name=name, population=options["population"],
                            n_draws=options["draws"], n_folds=options["folds"],
                            seed=options["seed"], lloq=size_lloq(options["observable"]))
    k = t_new.shape[1]
    rows = np.repeat(r, k)
    step = np.tile(np.arange(1, k + 1), len(batch))
    ids = [batch.ids[i] for i in rows]
    fc = pd.DataFrame({"id": ids, "step": step, "time": pf.t.ravel(),
                       "weeks_after_last_scan": ((pf.t - t_last[:, None]) / 7.0).ravel(),
                       "forecast": pf.point.ravel()})
    for j, lev in enumerate(pf.levels):
        pct = round(100 * lev)
        fc[f"lower_{pct}"] = pf.lower[j].ravel()
        fc[f"upper_{pct}"] = pf.upper[j].ravel()
    forecasts = split_ids(fc, ids, table)
    with np.errstate(all="ignore"):
        d_obs = scale.diameter_mm(np.where(batch.mask, batch.y, np.nan))
        nadir = np.nanmin(np.where(np.isfinite(d_obs), d_obs, np.inf), axis=1)
    nadir = np.where(np.isfinite(nadir), nadir, np.nan)
    nxt = pd.DataFrame({"id": list(batch.ids), "n_scans": batch.n, "last_time": t_last,
                        "last_value": y_last, "nadir_diameter_mm": nadir,
                        "pd_threshold_diameter_mm": pd_threshold(nadir),
                        "next_scan_time": pf.t[:, 0], "forecast": pf.point[:, 0],
                        "lower_80": pf.lower[0][:, 0], "upper_80": pf.upper[0][:, 0],
                        "lower_95": pf.lower[-1][:, 0], "upper_95": pf.upper[-1][:, 0],
                        "p_pd_next_scan": pf.p_pd})
    next_scan = split_ids(nxt, list(batch.ids), table)
    ok = np.isfinite(pf.point[:, 0])
    warnings = []
    if pf.info.get("calibration_scores", 1) == 0:
        warnings.append(f"no calibration scores: the one-scan-ahead pseudo-forecasts (each series "
                        f"without its last scan) could not be made with {spec.name} "
                        f"({spec.n_params} parameters), so no interval is given; use a model "
                        "with fewer parameters, --population, or series with more scans")
    report = {
        "disclaimer": DISCLAIMER,
        "data": {**_accounting(loaded.report), "series_forecast": int(ok.sum()),
                 "series_without_forecast": int((~ok).sum()),
                 "series_without_forecast_ids": [series_label(batch.ids[i])
                                                 for i in np.flatnonzero(~ok)]},
        "method": {"name": name, "model": spec.name, "reference": spec.reference,
                   "conditioning": "population fit (SAEM) posterior" if options["population"]
                   else "empirical-Bayes prior from all series' own fits",
                   "calibration": "cross-fitted by series: scores of one-scan-ahead "
                   "pseudo-forecasts of each series' last known scan (from the scans before it),"
                   " scaled by sqrt(time since the last scan), pooled over the other folds",
                   "levels": list(pf.levels), "scale": "diameter (mm)",
                   "pd_rule": "RECIST 1.1 size rule: next >= max(1.2 x nadir, nadir + 5 mm)",
                   "info": pf.info},
        "options": options,
        "warnings": warnings,
        "p_pd_next_scan": _describe(pf.p_pd),
    }
    return {"forecasts.csv": forecasts, "forecasts.parquet": forecasts,
            "next_scan.csv": next_scan, "forecast_report.json": report,
            "forecast_report.md": _markdown(report)}


def _accounting(rep: Any) -> dict[str, Any]:
    return {"file": rep.file, "format": rep.format, "rows_read": rep.rows_read,
            "rows_loaded": rep.rows_loaded, "rows_dropped": rep.rows_dropped,
            "dropped_by_reason": rep.dropped_by_reason, "series": rep.n_series,
            "notes": list(rep.notes)}


def _describe(p: np.ndarray) -> dict[str, Any]:
    v = p[np.isfinite(p)]
    if not v.size:
        return {"n": 0}
    return {"n": int(v.size), "mean": float(v.mean()), "median": float(np.median(v)),
            "above_0.5": int((v > 0.5).sum())}


def _markdown(report: dict[str, Any]) -> str:
    d, m = report["data"], report["method"]
    lines = [f"# oncodyn forecast: {m['name']} on {d['file']}", "", f"> {report['disclaimer']}",
             "", "## Data", "",
             f"{d['rows_loaded']} of {d['rows_read']} rows loaded ({d['rows_dropped']} dropped: "
             f"{d['dropped_by_reason'] or 'none'}); {d['series']} series, "
             f"{d['series_forecast']} forecast, {d['series_without_forecast']} without a "
             "forecast (too few readings or a failed fit).", "", "## Method", "",
             f"- model: `{m['model']}` ({m['reference']})", f"- conditioning: {m['conditioning']}",
             f"- intervals: {', '.join(f'{round(100 * x)}%' for x in m['levels'])}, "
             f"{m['calibration']}", f"- P(PD): {m['pd_rule']}", "", "## Options", ""]
    lines += [f"- {k}: {v}" for k, v in report["options"].items()]
    lines += [f"- WARNING: {w}" for w in report["warnings"]]
    p = report["p_pd_next_scan"]
    lines += ["", "## P(PD at the next scan)", ""]
    lines.append("no series" if not p.get("n") else
                 f"{p['n']} series: mean {p['mean']:.3f}, median {p['median']:.3f}, "
                 f"{p['above_0.5']} above 0.5.")
    return "\n".join(lines) + "\n"
