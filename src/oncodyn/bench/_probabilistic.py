"""Probabilistic part of ``oncodyn bench forecast``: intervals, interval scores and P(PD).

Methods (all forecast the last 2 readings of each record from the others, like the point
methods):

* ``locf_quantile``: LOCF widened by the empirical quantiles of the changes of the value
  (``Lesion_normvol``) from the last scan, learned on pseudo-forecasts inside the OTHER series'
  training parts (10 folds by series; no held-out point is used), scaled by sqrt(weeks since the
  last scan) (:func:`oncodyn.inference.predictive.calibrated_forecast`, ``calibration="training"``).
* ``locf_quantile_relative``: the same with changes of the diameter relative to the last
  diameter (+ 1 mm), a stronger baseline reported for reference.
* ``population_<model>``: the population forecaster (:func:`oncodyn.inference.forecasters.
  population_method`) on a SAEM population fit (:mod:`oncodyn.population`) of all training
  parts: posterior draws of each series' parameters given its training part, predictive
  medians and spreads on the diameter scale, and intervals/P(PD) calibrated by cross-fitting by
  series (``calibration="crossfit"``: a record's interval uses the forecast errors of the OTHER
  folds' records, never its own).
* ``population_eb_<model>``: the same on an empirical-Bayes population (a Gaussian prior from
  the individual fits of all training parts, MAP and Laplace draws).
* ``<name>_training`` / ``<name>_crossfit``: each method with the other calibration, so the effect
  of the calibration choice is visible.

Diameters: ``Lesion_normvol`` = 0.52 d^3 / 6163223.04 (docs/data-formats.md#layouts), so
d = (v 6163223.04 / 0.52)^(1/3) mm (:func:`oncodyn.data.datasets.tumorgrowth_diameter`); the PD
threshold of the next scan is max(1.2 N, N + 5 mm) with N the smallest diameter of the training
part (:func:`oncodyn.inference.scores.pd_threshold`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..data.datasets import tumorgrowth_diameter, tumorgrowth_normvol
from ..inference import paired_bootstrap_ci, predict_interval
from ..inference.forecasters import (
    DIAMETER_FLOOR_MM,
    POSTERIOR_DRAWS,
    locf_change,
    locf_relative,
    memo_by_batch,
    population_method,
    saem_population,
)
from ..inference.predictive import (
    LEVELS,
    ProbabilisticForecast,
    Scale,
    calibrated_forecast,
)
from ..inference.scores import brier, covered, interval_score
from ..population import TOO_SMALL_MM

EB_MODELS = ("gompertz", "exponential")
"""Growth laws given an empirical-Bayes population forecaster, ``population_eb_<model>``
(two-stage prior from individual fits of the volumes on the log scale)."""
SAEM_MODELS = ("gompertz", "stein_gd")
"""Models given a SAEM population forecaster, ``population_<model>``
(:func:`oncodyn.population.fit_population`), fitted to the lesion diameters (mm) with time in
days (T_weeks x 7), diameters below 5 mm (0 when a lesion vanished) left-censored
(:data:`oncodyn.population.TOO_SMALL_MM`): Gompertz, and Stein-Fojo g/d (Stein WD et al. 2011 Clin Cancer Res 17:907),
the response law of the population engineer's next-scan forecast."""


def _ident(x: Any) -> np.ndarray:
    return np.asarray(x, float)


VALUE_SCALE = Scale(_ident, _ident, tumorgrowth_diameter, tumorgrowth_normvol, 0.0)
DIAMETER_SCALE = Scale(tumorgrowth_diameter, tumorgrowth_normvol, tumorgrowth_diameter,
                       tumorgrowth_normvol, DIAMETER_FLOOR_MM)


def interval_metrics(lower: np.ndarray, upper: np.ndarray, y: np.ndarray,
                     keep: np.ndarray) -> tuple[dict[str, Any], np.ndarray]:
    """Coverage, width and interval score at each level; per-record IS95 for paired CIs.

    ``lower``/``upper``: (len(LEVELS), B, H); ``keep``: records scored.
    """
    out: dict[str, Any] = {}
    y = y[keep]
    is95 = np.full(int(keep.sum()), np.nan)
    has = np.all(np.isfinite(lower[:, keep]) | ~np.isfinite(y)[None], axis=(0, 2)) & \
        np.isfinite(y).any(axis=1)
    for j, lev in enumerate(LEVELS):
        lo, hi = lower[j][keep], upper[j][keep]
        pct = round(100 * lev)
        cov = covered(lo, hi, y)
        with np.errstate(all="ignore"):
            width = np.where(np.isfinite(cov), hi - lo, np.nan)
            score = _row_mean(interval_score(lo, hi, y, 1 - lev))
        out[f"coverage_{pct}"] = _mean(cov)
        out[f"mean_width_{pct}"] = _mean(width)
        out[f"interval_score_{pct}"] = _mean(score)
        if pct == 95:
            is95 = score
    out["n_without_interval"] = int((~has).sum())
    return out, is95


def _row_mean(x: np.ndarray) -> np.ndarray:
    """Mean of the finite entries of each row; NaN for a row without any (no warning)."""
    ok = np.isfinite(x)
    n = ok.sum(axis=1)
    total = np.where(ok, x, 0.0).sum(axis=1)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def _mean(x: np.ndarray) -> float | None:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return float(np.mean(x)) if x.size else None


def law_intervals(fc: Any) -> tuple[np.ndarray, np.ndarray]:
    """A law's own (uncalibrated, delta-method Student-t) intervals at LEVELS from its forecast."""
    lows, ups = [], []
    for lev in LEVELS:
        _, lo, hi = predict_interval(fc.fit, np.where(np.isfinite(fc.t), fc.t, 0.0), level=lev)
        keep = np.isfinite(fc.t)
        lows.append(np.where(keep, lo, np.nan))
        ups.append(np.where(keep, hi, np.nan))
    return np.stack(lows), np.stack(ups)


def probabilistic_methods(population: Callable[[str], Any] | None = None, *,
                          saem: bool = True) -> dict[str, tuple[Any, Scale, str, str]]:
    """name -> (method, scale, point, calibration) of the benchmark's probabilistic methods."""
    methods: dict[str, tuple[Any, Scale, str, str]] = {
        "locf_quantile": (locf_change(VALUE_SCALE), VALUE_SCALE, "centre", "training"),
        "locf_quantile_relative": (locf_relative(DIAMETER_SCALE), DIAMETER_SCALE, "centre",
                                   "training"),
    }
    for m in EB_MODELS:
        pop = None if population is None else population(m)
        methods[f"population_eb_{m}"] = (population_method(m, DIAMETER_SCALE, population=pop,
                                                           n_draws=POSTERIOR_DRAWS),
                                         DIAMETER_SCALE, "median", "crossfit")
    if saem:
        for m in SAEM_MODELS:
            fit_pop = saem_population(m, lloq=TOO_SMALL_MM)  # zeros: censored, not degenerate
            meth = population_method(m, DIAMETER_SCALE, population=fit_pop, on_diameter=True,
                                     time_factor=7.0, n_draws=POSTERIOR_DRAWS)
            methods[f"population_{m}"] = (meth, DIAMETER_SCALE, "median", "crossfit")
    # every method with the other calibration too
    for name in list(methods):
        meth, sc, pt, cal = methods[name]
        other = "crossfit" if cal == "training" else "training"
        methods[f"{name}_{other}"] = (meth, sc, pt, other)
    return methods


def run_methods(batch: Any, holdout: int, *, seed: int, study: np.ndarray | None,
                progress: Callable[[str], None] | None = None,
                population: Callable[[str], Any] | None = None, saem: bool = True,
                ) -> tuple[dict[str, ProbabilisticForecast], dict[str, Any]]:
    """All probabilistic forecasts, and the leave-one-study-out ones (None without studies)."""
    out: dict[str, ProbabilisticForecast] = {}
    loso: dict[str, Any] = {}
    cache: dict[int, Any] = {}
    for name, (meth, sc, pt, cal) in probabilistic_methods(population, saem=saem).items():
        if progress:
            progress(name)
        # one method object may serve two calibrations: its fits are not repeated
        meth = _memo(meth, cache)
        out[name] = calibrated_forecast(meth, batch, holdout=holdout, scale=sc, name=name,
                                        point=pt, calibration=cal, seed=seed)
        if study is not None and len(np.unique(study)) > 1:
            loso[name] = calibrated_forecast(meth, batch, holdout=holdout, scale=sc, name=name,
                                             point=pt, calibration=cal, fold_labels=study)
    return out, loso


def _memo(method: Any, cache: dict[int, Any]) -> Any:
    """One memoised wrapper per method object (:func:`memo_by_batch`)."""
    key = id(method)
    if key not in cache:
        cache[key] = memo_by_batch(method)
    return cache[key]


def score_forecast(fc: ProbabilisticForecast, keep: np.ndarray, locf_mae: np.ndarray,
                   ) -> tuple[dict[str, Any], np.ndarray, np.ndarray, np.ndarray]:
    """Metrics of one probabilistic method on the kept records, and per-record MAE, IS95 and
    squared P(PD) error for the paired CIs."""
    mae = _row_mean(np.abs(fc.point - fc.observed))
    d, is95 = interval_metrics(fc.lower, fc.upper, fc.observed, keep)
    mk = mae[keep]
    fin = np.isfinite(mk)
    res: dict[str, Any] = {"mean_mae": float(np.mean(mk[fin])) if fin.any() else None,
                           "median_mae": float(np.median(mk[fin])) if fin.any() else None,
                           "n_failed": int((~fin).sum()), **d}
    ev = fc.pd_event[keep]
    p = fc.p_pd[keep]
    res["brier_pd"] = brier(p, ev)
    res["trend_weight_mean"] = fc.info["trend_weight_mean"]
    res["calibration"] = fc.info["calibration"]
    with np.errstate(invalid="ignore"):
        sq = (p - ev) ** 2
    return res, mae, is95, sq


def summarise(fcs: dict[str, ProbabilisticForecast], loso: dict[str, ProbabilisticForecast],
              keep: np.ndarray, maes: dict[str, np.ndarray], study: np.ndarray | None, *,
              seed: int, n_boot: int) -> dict[str, Any]:
    """The JSON entries of the probabilistic methods (see the module docstring)."""
    methods: dict[str, Any] = {}
    is95: dict[str, np.ndarray] = {}
    sq: dict[str, np.ndarray] = {}
    for name, fc in fcs.items():
        methods[name], maes[name], is95[name], sq[name] = score_forecast(fc, keep, maes["locf"])
    ev = next(iter(fcs.values())).pd_event[keep]
    rate = float(np.nanmean(ev))
    with np.errstate(invalid="ignore"):
        base_sq = (rate - ev) ** 2
    out: dict[str, Any] = {
        "methods": methods,
        "brier_pd_base_rate": float(np.nanmean(base_sq)),
        "pd_rate": rate, "pd_records": int(np.isfinite(ev).sum()),
        "ci_interval_score_vs_locf_quantile": {
            k: paired_bootstrap_ci(v - is95["locf_quantile"], n_boot=n_boot, seed=seed)
            for k, v in is95.items() if k != "locf_quantile"},
        "ci_brier_vs_base_rate": {k: paired_bootstrap_ci(v - base_sq, n_boot=n_boot, seed=seed)
                                  for k, v in sq.items()},
        "is95_per_record": is95,
    }
    if loso:
        per: dict[str, Any] = {}
        sk = study[keep]
        for name, fc in loso.items():
            per[name] = {}
            for s in np.unique(sk):
                rows = keep & (study == s)
                r, *_ = score_forecast(fc, rows, maes["locf"])
                e = fc.pd_event[rows]
                rs = float(np.nanmean(e))
                r["brier_pd_base_rate"] = float(np.nanmean((rs - e) ** 2))
                r["records"] = int(rows.sum())
                per[name][str(s)] = {k: r[k] for k in (
                    "records", "mean_mae", "coverage_80", "coverage_95", "mean_width_95",
                    "interval_score_95", "brier_pd", "brier_pd_base_rate")}
        out["leave_one_study_out"] = per
    return out
