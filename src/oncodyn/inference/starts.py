"""Data-driven starting points for each model (the multi-start stage of calibration).

Each function returns natural-scale parameters of shape (n_starts, n_series, n_params). The
first start is the "default start" (also used by the per-series SciPy reference loop in
``oncodyn bench fit``). Starting values are heuristics, not estimates: they only need to put
the optimiser in the right basin; every start is run to convergence and the best finite fit kept.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from itertools import product

import numpy as np

from ..models import Model
from ._batch import SeriesBatch

StartFn = Callable[[Model, SeriesBatch], np.ndarray]
_STARTS: dict[str, StartFn] = {}


def register_starts(model_name: str) -> Callable[[StartFn], StartFn]:
    def deco(fn: StartFn) -> StartFn:
        _STARTS[model_name] = fn
        return fn

    return deco


def _summaries(batch: SeriesBatch) -> dict[str, np.ndarray]:
    y = batch.y
    # series without any finite value (nothing to fit) give NaN summaries: no warnings for them
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ymax = np.nanmax(np.abs(y), axis=1)
        floor = np.where(ymax > 0, 1e-3 * ymax, 1e-12)
        first = np.where(batch.n > 0, y[:, 0], np.nan)
        t1, last = batch.last()
        t0 = batch.t[:, 0]
        span = np.where(t1 - t0 > 0, t1 - t0, 1.0)
        ly = np.log(np.maximum(y, floor[:, None]))
        tm = np.nanmean(batch.t, axis=1, keepdims=True)
        lm = np.nanmean(ly, axis=1, keepdims=True)
        cov = np.nansum((batch.t - tm) * (ly - lm), axis=1)
        var = np.nansum((batch.t - tm) ** 2, axis=1)
        slope = np.where(var > 0, cov / var, 0.0)
        ymin = np.nanmin(np.where(y > 0, y, np.inf), axis=1)
        ymin = np.where(np.isfinite(ymin), ymin, floor)
    return {"v0": np.maximum(np.nan_to_num(first, nan=0.0), floor), "last": np.maximum(np.nan_to_num(last, nan=0.0), floor),
            "ymax": np.maximum(ymax, floor), "ymin": ymin, "floor": floor, "span": span, "slope": slope,
            "t0": np.nan_to_num(t0)}


def _clip(model: Model, p: np.ndarray) -> np.ndarray:
    lo, hi = model.lower, model.upper
    eps = 1e-9
    with np.errstate(invalid="ignore"):
        lo_in = np.where(np.isfinite(lo), lo + eps * (np.abs(lo) + 1), lo)
        hi_in = np.where(np.isfinite(hi), hi - eps * (np.abs(hi) + 1), hi)
    return np.clip(p, lo_in, hi_in)


@register_starts("exponential")
def _exp_starts(model: Model, batch: SeriesBatch) -> np.ndarray:
    s = _summaries(batch)
    slope = np.clip(s["slope"], -0.5, 0.5)
    v0 = s["v0"]
    starts = [np.stack([v0, slope], -1), np.stack([v0, np.zeros_like(v0)], -1),
              np.stack([s["last"], np.zeros_like(v0)], -1)]
    return _clip(model, np.stack(starts))


def _gb_like(model: Model, batch: SeriesBatch, lams: tuple[float, ...] | None) -> np.ndarray:
    s = _summaries(batch)
    v0, span = s["v0"], s["span"]
    vinfs = [s["last"], 2.0 * s["ymax"], 0.5 * s["ymin"]]
    omegas = [1.0 / span, 5.0 / span]
    starts = []
    for vinf, om in product(vinfs, omegas):
        base = [v0, np.maximum(vinf, s["floor"]), om]
        if lams is None:
            starts.append(np.stack(base, -1))
        else:
            starts.extend(np.stack(base + [np.full_like(v0, lam)], -1) for lam in lams)
    return _clip(model, np.stack(starts))


for _name in ("logistic", "gompertz", "classical_bertalanffy"):
    register_starts(_name)(lambda m, b: _gb_like(m, b, None))
register_starts("bertalanffy")(lambda m, b: _gb_like(m, b, (1.0 / 3.0, 1.0)))


def default_starts(model: Model, batch: SeriesBatch) -> np.ndarray:
    """Fallback: the model defaults, with size-like parameters (unit "size") set from the data."""
    s = _summaries(batch)
    p = np.tile(model.defaults, (len(batch), 1))
    for i, par in enumerate(model.parameters):
        if par.unit in ("size", "mm") and par.name in ("v0", "y0", "size0", "sld0", "ts0"):
            p[:, i] = s["v0"]
    alt = p.copy()
    for i, par in enumerate(model.parameters):
        if par.unit.startswith("1/"):
            alt[:, i] = p[:, i] * 3.0
    return _clip(model, np.stack([p, alt]))


def initial_guesses(model: Model, batch: SeriesBatch) -> np.ndarray:
    """Starting points of shape (n_starts, n_series, n_params), the default start first."""
    fn = _STARTS.get(model.name, default_starts)
    return fn(model, batch)
