"""Maps between a model's bounded parameters and the unconstrained space optimisers work in.

log: p = exp(theta) clipped into [lower, upper]; logit: p = lower + (upper - lower) sigmoid(theta);
identity: p = theta clipped into [lower, upper] (a projected step).
"""

from __future__ import annotations

import functools

import numpy as np

from ..models import Model

LOG_GUARD = 700.0
"""|theta| bound of log-transformed parameters (exp(700) ~ 1e304, the float64 limit)."""
SAFE_GUARD = 460.0
"""A tighter bound (exp(460) ~ 1e200) for restarts: at exp(700) a model's own arithmetic (e.g. the
logistic's (v_inf / v0)) overflows, its Jacobian vanishes and a local solver stalls there."""


def codes(model: Model) -> np.ndarray:
    return np.array([{"identity": 0, "log": 1, "logit": 2}[p.transform] for p in model.parameters])


def to_unconstrained(model: Model, p: np.ndarray) -> np.ndarray:
    c, lo, hi = codes(model), model.lower, model.upper
    p = np.clip(np.asarray(p, float), lo, hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        tiny = 1e-300
        th_log = np.log(np.maximum(p, tiny))
        span = np.where(np.isfinite(hi - lo), hi - lo, 1.0)
        q = np.clip((p - lo) / span, 1e-12, 1 - 1e-12)
        th_logit = np.log(q) - np.log1p(-q)
    return np.where(c == 1, th_log, np.where(c == 2, th_logit, p))


@functools.lru_cache(maxsize=256)
def _layout(model: Model) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Column indices by transform, and the bounds (cached: models are immutable)."""
    c = codes(model)
    lo, hi = model.lower, model.upper
    span = np.where(np.isfinite(hi - lo), hi - lo, 1.0)
    return np.flatnonzero(c == 1), np.flatnonzero(c == 2), lo, hi, span


def to_constrained(model: Model, theta: np.ndarray) -> np.ndarray:
    i_log, i_logit, lo, hi, span = _layout(model)
    p = np.array(theta, dtype=float, copy=True)
    with np.errstate(over="ignore", invalid="ignore"):
        if i_log.size:
            p[..., i_log] = np.exp(np.clip(p[..., i_log], -700, 700))
        if i_logit.size:
            z = np.clip(p[..., i_logit], -700, 700)
            p[..., i_logit] = lo[i_logit] + span[i_logit] / (1.0 + np.exp(-z))
    return np.clip(p, lo, hi, out=p)


def jacobian_diag(model: Model, theta: np.ndarray) -> np.ndarray:
    """d p / d theta for each parameter (the maps are element-wise)."""
    i_log, i_logit, _, _, span = _layout(model)
    theta = np.asarray(theta, dtype=float)
    d = np.ones_like(theta)
    with np.errstate(over="ignore", invalid="ignore"):
        if i_log.size:
            d[..., i_log] = np.exp(np.clip(theta[..., i_log], -700, 700))
        if i_logit.size:
            sg = 1.0 / (1.0 + np.exp(-np.clip(theta[..., i_logit], -700, 700)))
            d[..., i_logit] = span[i_logit] * sg * (1 - sg)
    return d


def theta_bounds(model: Model) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the unconstrained parameters (infinite for logit, log(bounds) for log)."""
    c, lo, hi = codes(model), model.lower, model.upper
    with np.errstate(divide="ignore"):
        tlo = np.where(c == 1, np.log(np.maximum(lo, 0.0)), np.where(c == 2, -np.inf, lo))
        thi = np.where(c == 1, np.log(hi), np.where(c == 2, np.inf, hi))
    # keep clear of exp overflow
    return np.maximum(tlo, -LOG_GUARD), np.minimum(thi, LOG_GUARD)
