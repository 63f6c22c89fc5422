"""Forecasting: fit on the first points of each series, predict the rest with intervals.

Prediction intervals combine parameter uncertainty (delta method: var f = g^T cov(theta) g with
g = df/dtheta by finite differences) and residual noise s^2 on the fitted scale, with Student-t
quantiles on n - p degrees of freedom (Seber & Wild 1989, *Nonlinear Regression*, §5.1). They are
approximate (local linearisation) and say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _transform as tr
from ._batch import SeriesBatch
from .fit import fit
from .results import FitResult


@dataclass(frozen=True)
class Forecast:
    """Point forecasts and intervals for the held-out part of each series."""

    fit: FitResult
    t: np.ndarray          # (B, H) forecast times (NaN padding)
    mean: np.ndarray       # (B, H) point forecast (NaN when the fit failed)
    lower: np.ndarray      # (B, H)
    upper: np.ndarray      # (B, H)
    level: float
    observed: np.ndarray | None = None  # (B, H) held-out values when known

    def mae(self) -> np.ndarray:
        """Mean absolute error per series on the held-out values."""
        if self.observed is None:
            raise ValueError("no held-out values to score against")
        with np.errstate(all="ignore"):
            return np.nanmean(np.abs(self.mean - self.observed), axis=1)

    def to_frame(self) -> Any:
        import pandas as pd

        b, h = self.t.shape
        keep = np.isfinite(self.t)
        rows = np.repeat(np.arange(b), h).reshape(b, h)[keep]
        d = {"id": [self.fit.ids[i] for i in rows], "time": self.t[keep],
             "forecast": self.mean[keep], "lower": self.lower[keep], "upper": self.upper[keep]}
        if self.observed is not None:
            d["observed"] = self.observed[keep]
        return pd.DataFrame(d)


def predict_interval(result: FitResult, t: np.ndarray, *, level: float = 0.9,
                     exposure: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point prediction and approximate ``level`` prediction interval at times ``t`` (B, H)."""
    from scipy import stats  # here, not at module top: keeps ``oncodyn --help`` fast

    model = result.model
    mean = result.predict(t, exposure=exposure)
    theta = np.where(np.isfinite(result.theta), result.theta, 0.0)
    b, p = theta.shape
    tt = np.where(np.isfinite(t), t, 0.0)
    h = 1e-6 * (1 + np.abs(theta))
    grads = []
    with np.errstate(all="ignore"):
        base = _on_scale(result, model.predict(tt, tr.to_constrained(model, theta),
                                                exposure=exposure))
    for j in range(p):
        th = theta.copy()
        th[:, j] += h[:, j]
        with np.errstate(all="ignore"):
            fj = _on_scale(result, model.predict(tt, tr.to_constrained(model, th), exposure=exposure))
        grads.append((fj - base) / h[:, j, None])
    g = np.stack(grads, -1)  # (B, H, P)
    cov = np.nan_to_num(result.cov_theta, nan=0.0)
    with np.errstate(all="ignore"):
        var_f = np.einsum("bhp,bpq,bhq->bh", g, cov, g)
        dof = np.maximum(result.n_obs - np.sum(result.se > 0, axis=1), 1)
        q = stats.t.ppf(0.5 + level / 2, dof)[:, None]
        s2 = result.sigma[:, None] ** 2
        if result.error == "proportional" and result.scale == "linear":
            s2 = s2 * base**2
        half = q * np.sqrt(np.maximum(var_f, 0) + np.nan_to_num(s2, nan=np.inf))
        if result.scale == "log":
            lo, hi = np.exp(base - half), np.exp(base + half)
        else:
            lo, hi = base - half, base + half
    bad = ~np.isfinite(mean)
    return mean, np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def _on_scale(result: FitResult, f: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.log(f) if result.scale == "log" else np.asarray(f, float)


def forecast(model: Any, data: SeriesBatch, *, n_fit: int | np.ndarray | None = None,
             holdout: int | None = None, level: float = 0.9, **fit_options: Any) -> Forecast:
    """Fit on the first ``n_fit`` points (or all but the last ``holdout``) and predict the rest.

    Exactly one of ``n_fit`` and ``holdout`` is given. ``fit_options`` go to :func:`fit`.
    """
    from ..errors import ConfigError

    if (n_fit is None) == (holdout is None):
        raise ConfigError("give exactly one of n_fit and holdout")
    if holdout is not None and int(holdout) < 1:
        raise ConfigError(f"holdout must be >= 1, got {holdout}")
    if n_fit is not None and np.any(np.asarray(n_fit) < 1):
        raise ConfigError("n_fit must be >= 1 for every series")
    # series with no point left to forecast (k >= n) get empty forecasts; series with k < 1
    # (holdout >= n) have nothing to fit and get status TOO_FEW_POINTS
    k = np.maximum(data.n - int(holdout), 0) if holdout is not None else \
        np.broadcast_to(np.asarray(n_fit, int), data.n.shape)
    train, test = data.head(k), data.tail(k)
    result = fit(model, train, **fit_options)
    mean, lo, hi = predict_interval(result, test.t, level=level,
                                    exposure=fit_options.get("exposure"))
    keep = np.isfinite(test.t)
    nan = np.nan
    return Forecast(result, test.t, np.where(keep, mean, nan), np.where(keep, lo, nan),
                    np.where(keep, hi, nan), level, test.y)


def locf(data: SeriesBatch, *, holdout: int) -> np.ndarray:
    """Last calibration value carried forward: the naive forecast every model must beat.

    Series with fewer than ``holdout + 1`` points have no calibration value: NaN forecasts.
    """
    if int(holdout) < 1:
        from ..errors import ConfigError

        raise ConfigError(f"holdout must be >= 1, got {holdout}")
    k = np.maximum(data.n - int(holdout), 0)
    test = data.tail(k)
    last = data.y[np.arange(len(data)), np.maximum(k - 1, 0)]
    last = np.where(k >= 1, last, np.nan)
    return np.where(np.isfinite(test.t), last[:, None], np.nan)


def paired_bootstrap_ci(diff: np.ndarray, *, n_boot: int = 2000, seed: int = 0,
                        level: float = 0.95) -> list[float]:
    """Percentile bootstrap CI of mean(diff) resampling records (Efron & Tibshirani 1993, ch. 13)."""
    diff = np.asarray(diff, float)
    diff = diff[np.isfinite(diff)]
    if diff.size == 0:
        return [float("nan"), float("nan")]
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, diff.size, size=(n_boot, diff.size))
    means = diff[idx].mean(axis=1)
    a = (1 - level) / 2
    return [float(np.quantile(means, a)), float(np.quantile(means, 1 - a))]
