"""Probabilistic forecasts calibrated on other series: intervals and P(progression) per series.

A forecasting *method* gives, for each series and future time, a centre and a spread on a
calibration scale g (e.g. the diameter in mm) and optionally a trend (the model's predicted change
from the last scan). Its predictive distribution is made honest by **cross-fitting by series**
(split-conformal prediction with K folds, Vovk, Gammerman & Shafer 2005, *Algorithmic Learning in
a Random World*, ch. 2; Lei et al. 2018 J Am Stat Assoc 113:1094; the cross-fitted variant is
Barber et al. 2021 Ann Stat 49:486 "CV+"):

1. pseudo-forecasts on the *training parts only*: each series' training part (all but its last
   ``holdout`` points) is split again, the method fitted on all but the last ``holdout`` points
   of it and scored on those (steps 1..holdout ahead, like the real forecast);
2. standardised scores z = (g(y) - centre) / spread of those pseudo-forecasts are pooled by step
   over the series of the OTHER folds (never the series' own points, never any held-out point);
3. the predictive distribution of series i at step h is centre + spread x (the scores of step
   h); its quantiles are the prediction intervals, its median the point forecast, and its mass
   above the RECIST PD threshold the probability of progression at the next scan.

When the method gives a trend, the centre is last + w x trend with the damping weight w chosen
from ``TREND_WEIGHTS`` on the same pseudo-forecasts of the other folds (smallest mean absolute
error on the value scale; w = 0 is LOCF). Nothing is tuned on the held-out points.

oncodyn is research and teaching software, not a clinical decision tool: P(PD) describes a
statistical model of trial lesions, not a prognosis for a person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..errors import ConfigError
from ._batch import SeriesBatch
from .scores import pd_threshold

LEVELS = (0.8, 0.95)
"""Nominal coverages of the prediction intervals (the issue's 80% and 95%)."""
TREND_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
"""Grid of trend damping weights w (0 = last value carried forward, 1 = the model's change)."""


@dataclass(frozen=True)
class CentreSpread:
    """What a method says about future points on the calibration scale g, arrays (B, H).

    ``last`` is g(last training value) (B,); the centre is ``last + w * trend`` when a trend is
    given, else ``centre``; ``spread`` > 0 scales the scores.
    """

    spread: np.ndarray
    last: np.ndarray
    centre: np.ndarray | None = None
    trend: np.ndarray | None = None

    def at(self, w: Any) -> np.ndarray:
        if self.trend is None:
            return self.last[:, None] + 0.0 * self.spread if self.centre is None else self.centre
        return self.last[:, None] + np.asarray(w, float).reshape(-1, 1) * self.trend


Method = Callable[[SeriesBatch, np.ndarray], CentreSpread]
"""``method(train, t_new) -> CentreSpread`` for times ``t_new`` (B, H) after each training part."""


@dataclass(frozen=True)
class Scale:
    """The calibration scale g and the link between the data's values and diameters in mm.

    ``to``/``back``: value -> g and its inverse; ``diameter_mm``/``from_diameter_mm``: value ->
    lesion diameter (or sum of diameters) in mm and back, for the RECIST PD rule; ``floor``: a
    spread (g units) added by methods whose spread scales with the size, so that a lesion
    measured at 0 still gets a non-degenerate interval.
    """

    to: Callable[[np.ndarray], np.ndarray]
    back: Callable[[np.ndarray], np.ndarray]
    diameter_mm: Callable[[np.ndarray], np.ndarray]
    from_diameter_mm: Callable[[np.ndarray], np.ndarray]
    floor: float = 0.0


@dataclass(frozen=True)
class ProbabilisticForecast:
    """Point forecasts, central prediction intervals and P(PD at the next scan) per series.

    ``lower``/``upper`` have shape (len(levels), B, H); ``p_pd`` (B,) is the probability that the
    first forecast scan meets the RECIST size rule for PD against the nadir of the training part
    (NaN where it cannot be computed); ``pd_event`` (B,) whether it did (NaN when unobserved).
    """

    method: str
    ids: tuple[Any, ...]
    t: np.ndarray
    point: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    levels: tuple[float, ...]
    p_pd: np.ndarray
    observed: np.ndarray | None = None
    pd_event: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def interval(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        i = self.levels.index(level)
        return self.lower[i], self.upper[i]

    def to_frame(self) -> Any:
        """One row per forecast time: point, intervals, P(PD) (first scan only), observed."""
        import pandas as pd

        b, h = self.t.shape
        keep = np.isfinite(self.t)
        rows, cols = np.nonzero(keep)
        d: dict[str, Any] = {"id": [self.ids[i] for i in rows], "method": self.method,
                             "step": cols + 1, "time": self.t[keep], "forecast": self.point[keep]}
        for j, lev in enumerate(self.levels):
            pct = round(100 * lev)
            d[f"lower_{pct}"] = self.lower[j][keep]
            d[f"upper_{pct}"] = self.upper[j][keep]
        d["p_pd"] = np.where(cols == 0, self.p_pd[rows], np.nan)
        if self.observed is not None:
            d["observed"] = self.observed[keep]
        return pd.DataFrame(d)


def folds_by_series(n_series: int, n_folds: int, seed: int) -> np.ndarray:
    """Fold label of each series: a seeded permutation cut into ``n_folds`` near-equal parts."""
    if n_folds < 2:
        raise ConfigError(f"cross-fitting needs at least 2 folds, got {n_folds}")
    rng = np.random.default_rng(seed)
    return rng.permutation(n_series) % n_folds


def split_holdout(data: SeriesBatch, holdout: int) -> tuple[SeriesBatch, SeriesBatch]:
    """(training part, the next ``holdout`` points) of each series."""
    k = np.maximum(data.n - int(holdout), 0)
    test = data.tail(k)
    h = int(holdout)
    test = SeriesBatch(test.ids, test.t[:, :h], test.y[:, :h], np.minimum(test.n, h))
    return data.head(k), test


def calibrated_forecast(method: Method, data: SeriesBatch, *, holdout: int, scale: Scale,
                        name: str, levels: tuple[float, ...] = LEVELS, n_folds: int = 10,
                        seed: int = 0, point: str = "median",
                        calibration: str = "training",
                        fold_labels: np.ndarray | None = None) -> ProbabilisticForecast:
    """Forecast the last ``holdout`` points of every series with cross-fitted intervals and P(PD).

    Parameters
    ----------
    method : see :data:`Method`.
    data : the series; the last ``holdout`` points of each are forecast from the others.
    scale : the calibration scale (see :class:`Scale`).
    name : method name recorded in the result.
    levels : central interval coverages.
    n_folds, seed : cross-fitting folds by series (seeded permutation).
    fold_labels : optional explicit fold of each series (e.g. its study, for leave-one-study-out
        calibration); replaces ``n_folds``/``seed``.
    point : "median" (median of the predictive distribution, the MAE-optimal point) or "centre".
    calibration : "training": scores from pseudo-forecasts inside the training parts of the other
        folds' series (no held-out point of any series is used); "crossfit": scores from the
        real forecasts of the other folds' series (leave-fold-out cross-fitting by series: a
        series' interval never uses its own held-out points, but uses other series'). The
        second matches the task when the held-out points are special (e.g. the last scans of a
        series, often taken at progression); the first assumes they are not.
    """
    h = int(holdout)
    if h < 1:
        raise ConfigError(f"holdout must be >= 1, got {holdout}")
    if point not in ("median", "centre"):
        raise ConfigError(f"point must be 'median' or 'centre', got {point!r}")
    b = len(data)
    train, test = split_holdout(data, h)
    if calibration not in ("training", "crossfit"):
        raise ConfigError(f"calibration must be 'training' or 'crossfit', got {calibration!r}")
    real = _time_scaled(method(train, test.t), train, test.t)
    if calibration == "training":
        ptrain, ptest = split_holdout(train, h)
        pseudo = _time_scaled(method(ptrain, ptest.t), ptrain, ptest.t)
        y_cal = ptest.y
    else:
        pseudo, y_cal = real, test.y
    if fold_labels is None:
        fold = folds_by_series(b, n_folds, seed)
    else:
        _, fold = np.unique(np.asarray(fold_labels), return_inverse=True)
        if len(fold) != b:
            raise ConfigError(f"fold_labels has {len(fold)} entries for {b} series")
        n_folds = int(fold.max()) + 1
    pt, lower, upper, p_pd, w_of, n_cal, thr_d = _assemble(
        real, pseudo, y_cal, fold, train, test.t, scale, levels, point, own=False)
    keep = np.isfinite(test.t)
    observed = np.where(keep, test.y, np.nan)
    with np.errstate(all="ignore"):
        d_next = scale.diameter_mm(observed[:, 0]) if h else np.full(b, np.nan)
    ok_event = np.isfinite(d_next) & np.isfinite(thr_d)
    event = np.where(ok_event, (d_next >= thr_d).astype(float), np.nan)
    info = {"n_folds": n_folds, "seed": seed, "calibration": calibration,
            "calibration_scores": n_cal, "trend_weight_mean": float(np.mean(w_of)),
            "trend_weights": sorted({float(x) for x in w_of})}
    return ProbabilisticForecast(name, data.ids, test.t, pt, lower, upper, tuple(levels), p_pd,
                                 observed, event, info)


def forecast_ahead(method: Method, data: SeriesBatch, t_new: np.ndarray, *, scale: Scale,
                   name: str, holdout: int = 2, levels: tuple[float, ...] = LEVELS,
                   point: str = "median", n_folds: int | None = None,
                   seed: int = 0) -> ProbabilisticForecast:
    """Forecast unobserved future times ``t_new`` (B, H) of every series from all its scans.

    The scores come from pseudo-forecasts of the last ``holdout`` known scans of every series
    from the scans before them (steps scaled by sqrt(time since the last scan), as in
    :func:`calibrated_forecast`; the targets here are in the future, so no target is among
    them). ``n_folds`` None pools the scores of all series; an integer cross-fits by series
    (seeded permutation, :func:`folds_by_series`): a series' intervals use only the scores of
    the other folds' series, never its own. The method is called once per column of ``t_new``,
    so the forecast of one time (random draws included) does not depend on which other times
    are asked. P(PD) is for the first time of ``t_new``, against the nadir of all the series'
    scans.
    """
    if point not in ("median", "centre"):
        raise ConfigError(f"point must be 'median' or 'centre', got {point!r}")
    t_new = np.asarray(t_new, float)
    if t_new.ndim != 2 or t_new.shape[0] != len(data):
        raise ConfigError(f"t_new must be (n_series={len(data)}, H), got shape {t_new.shape}")
    if t_new.shape[1] == 0:
        raise ConfigError("t_new has no future time to forecast")
    cols = [_time_scaled(method(data, t_new[:, k:k + 1]), data, t_new[:, k:k + 1])
            for k in range(t_new.shape[1])]
    real = _concat_steps(cols)
    train, test = split_holdout(data, int(holdout))
    pseudo = _time_scaled(method(train, test.t), train, test.t)
    own = n_folds is None
    fold = np.zeros(len(data), dtype=int) if own else folds_by_series(len(data), n_folds, seed)
    pt, lower, upper, p_pd, w_of, n_cal, _ = _assemble(
        real, pseudo, test.y, fold, data, t_new, scale, levels, point, own=own)
    info = {"n_folds": n_folds, "seed": seed,
            "calibration": "pseudo-forecasts of the last known scans"
            + (" (all series pooled)" if own else " of the other folds' series"),
            "holdout": int(holdout), "calibration_scores": n_cal,
            "trend_weight_mean": float(np.mean(w_of)),
            "trend_weights": sorted({float(x) for x in w_of})}
    return ProbabilisticForecast(name, data.ids, np.where(np.isfinite(t_new), t_new, np.nan), pt,
                                 lower, upper, tuple(levels), p_pd, None, None, info)


def _concat_steps(parts: list[CentreSpread]) -> CentreSpread:
    """One :class:`CentreSpread` over the columns of per-time ones (same series, same last)."""
    first = parts[0]

    def cat(attr: str) -> np.ndarray | None:
        vals = [getattr(c, attr) for c in parts]
        return None if any(v is None for v in vals) else np.concatenate(vals, axis=1)

    return CentreSpread(spread=np.concatenate([c.spread for c in parts], axis=1), last=first.last,
                        centre=cat("centre"), trend=cat("trend"))


def _assemble(real: CentreSpread, pseudo: CentreSpread, y_cal: np.ndarray, fold: np.ndarray,
              known: SeriesBatch, t_new: np.ndarray, scale: Scale, levels: tuple[float, ...],
              point: str, *, own: bool) -> tuple[np.ndarray, ...]:
    """Quantiles, point forecasts and P(PD) from the pooled scores of each fold's calibration
    series (the other folds; every series when ``own``)."""
    b, h = t_new.shape
    gy_p = scale.to(y_cal)
    weights = TREND_WEIGHTS if real.trend is not None else (0.0,)
    probs = sorted({0.5, *[(1 - lev) / 2 for lev in levels], *[(1 + lev) / 2 for lev in levels]})
    quant = np.full((len(probs), b, h), np.nan)
    w_of = np.zeros(b)
    p_pd = np.full(b, np.nan)
    # PD threshold of the next scan from the nadir of the known scans, on the g scale
    with np.errstate(all="ignore"):
        d_known = scale.diameter_mm(np.where(known.mask, known.y, np.nan))
        nadir = np.nanmin(np.where(np.isfinite(d_known), d_known, np.inf), axis=1)
    nadir = np.where(np.isfinite(nadir), nadir, np.nan)
    thr_d = pd_threshold(nadir)
    n_cal = 0
    for f in np.unique(fold):
        rows = np.flatnonzero(fold == f)
        cal = np.ones(b, bool) if own else fold != f
        w = _best_weight(pseudo, y_cal, cal, weights, scale)
        w_of[rows] = w
        with np.errstate(all="ignore"):
            z = (gy_p - pseudo.at(np.full(b, w))) / pseudo.spread
        # scores of all steps pooled: spreads grow as sqrt(time since the last scan)
        zs = z[cal].ravel()
        zs = np.sort(zs[np.isfinite(zs)])
        n_cal = max(n_cal, int(zs.size))
        if zs.size == 0:
            continue
        quant[:, rows, :] = np.quantile(zs, probs)[:, None, None]
        with np.errstate(all="ignore"):
            c0 = real.at(np.full(b, w))[rows, 0]
            zthr = (scale.to(scale.from_diameter_mm(thr_d[rows])) - c0) / real.spread[rows, 0]
        # P(g(y) >= g(threshold)) under the empirical score distribution
        p = 1.0 - np.searchsorted(zs, zthr, side="left") / zs.size
        p_pd[rows] = np.where(np.isfinite(zthr), p, np.nan)
    # quantiles as changes from the last known value (exactly that value for a zero change,
    # free of the rounding of the g -> value round trip)
    _, y_last = known.last()
    with np.errstate(all="ignore"):
        centre = real.at(w_of)
        base = scale.back(real.last)[None, :, None]
        q_val = y_last[None, :, None] + (scale.back(centre[None] + quant * real.spread[None])
                                         - base)
    keep = np.isfinite(t_new)
    q_val = np.where(keep[None], q_val, np.nan)
    idx = {p: i for i, p in enumerate(probs)}
    lower = np.stack([q_val[idx[(1 - lev) / 2]] for lev in levels])
    upper = np.stack([q_val[idx[(1 + lev) / 2]] for lev in levels])
    with np.errstate(all="ignore"):
        pt = q_val[idx[0.5]] if point == "median" else np.where(
            keep, y_last[:, None] + scale.back(centre) - base[0], np.nan)
    p_pd = np.where(keep[:, 0], p_pd, np.nan)
    return pt, lower, upper, p_pd, w_of, n_cal, thr_d


def _time_scaled(cs: CentreSpread, train: SeriesBatch, t_new: np.ndarray) -> CentreSpread:
    """Spread x sqrt(time since the last training scan): a random-walk deviation from the
    centre, whose variance grows linearly with the horizon (so steps can share their scores)."""
    t_last, _ = train.last()
    with np.errstate(invalid="ignore"):
        dt = np.sqrt(np.maximum(t_new - t_last[:, None], 0.0))
    return replace(cs, spread=cs.spread * dt)


def _best_weight(pseudo: CentreSpread, y: np.ndarray, cal: np.ndarray,
                 weights: tuple[float, ...], scale: Scale) -> float:
    """The trend weight with the smallest pseudo-forecast MAE (value scale) on ``cal`` series."""
    if len(weights) == 1:
        return float(weights[0])
    best, best_mae = 0.0, np.inf
    for w in weights:
        with np.errstate(all="ignore"):
            pred = scale.back(pseudo.at(np.full(len(cal), w)))
            err = np.abs(pred - y)[cal]
        err = err[np.isfinite(err)]
        mae = float(np.mean(err)) if err.size else np.inf
        if mae < best_mae - 1e-15:
            best, best_mae = float(w), mae
    return best
