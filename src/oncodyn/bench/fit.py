"""``oncodyn bench fit``: batched calibration vs a plain per-series SciPy loop, same starts.

Every series of the flat file is fitted with every classical law twice in the same run:
(1) through :func:`oncodyn.inference.fit` (vectorised multi-start Levenberg–Marquardt), and
(2) by a per-series ``scipy.optimize.least_squares`` loop (method "trf") started from the default
(first) start of (1), on the same unconstrained parameterisation and residuals.

JSON keys (stable): ``series``, ``laws``, ``wall_s`` -> {``oncodyn``, ``scipy_loop``} (totals) and
per law, ``speedup`` (loop time / ours), ``loss_not_worse_fraction`` (fraction of (series, law)
pairs with a finite loop loss where our loss <= the loop's loss, strictly, as the issue defines
it), ``loss_not_worse_fraction_tol`` (the same up to ties: our loss <= the loop's x (1 + 1e-6)
+ 1e-12 sum(y^2), since SciPy stops once a step improves the loss by less than a relative 1e-8
and 1e-12 sum(y^2) is numerically zero for exactly determined series), and ``per_law`` details.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import least_squares

from ..inference import _transform as tr
from ..inference import fit, initial_guesses
from ..models import CLASSICAL_LAWS, get_model
from ._flat import read_flat_batch
from .forecast import _write_json


def _scipy_loop(law: str, batch: Any, starts: np.ndarray) -> tuple[np.ndarray, float]:
    model = get_model(law)
    theta0 = tr.to_unconstrained(model, starts)
    losses = np.full(len(batch), np.inf)
    t0 = time.perf_counter()
    for i in range(len(batch)):
        n = batch.n[i]
        if n < model.n_params:
            continue
        t, y = batch.t[i, :n], batch.y[i, :n]

        def res(th: np.ndarray, t: np.ndarray = t, y: np.ndarray = y) -> np.ndarray:
            with np.errstate(all="ignore"):
                f = model.closed_form(t[None, :], tr.to_constrained(model, th[None, :]), 0.0, np)[0]
            return np.where(np.isfinite(f), f - y, 1e10)

        try:
            with np.errstate(all="ignore"):
                sol = least_squares(res, theta0[i], method="trf")
            r = res(sol.x)
            losses[i] = float(np.sum(r**2)) if np.all(np.abs(r) < 1e10) else np.inf
        except (ValueError, FloatingPointError):
            losses[i] = np.inf
    return losses, time.perf_counter() - t0


def run(data: str | Path, *, json_out: str | Path | None = None,
        laws: tuple[str, ...] = CLASSICAL_LAWS,
        progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    batch, _ = read_flat_batch(data)
    per_law: dict[str, Any] = {}
    ours_total = loop_total = 0.0
    not_worse = not_worse_strict = comparable = 0
    for law in laws:
        model = get_model(law)
        if progress:
            progress(law)
        t0 = time.perf_counter()
        res = fit(model, batch)
        ours = time.perf_counter() - t0
        starts = initial_guesses(model, batch)[0]
        loop_loss, loop_t = _scipy_loop(law, batch, starts)
        fin = np.isfinite(loop_loss)
        ss = np.nansum(batch.y**2, axis=1)
        ok = fin & (res.loss <= loop_loss * (1 + 1e-6) + 1e-12 * ss)
        strict = fin & (res.loss <= loop_loss)
        comparable += int(fin.sum())
        not_worse += int(ok.sum())
        not_worse_strict += int(strict.sum())
        ours_total += ours
        loop_total += loop_t
        per_law[law] = {"wall_s_oncodyn": round(ours, 4), "wall_s_scipy_loop": round(loop_t, 4),
                        "speedup": round(loop_t / ours, 2),
                        "loss_not_worse_fraction": float(strict.sum() / max(fin.sum(), 1)),
                        "loss_not_worse_fraction_tol": float(ok.sum() / max(fin.sum(), 1)),
                        "n_converged": int(res.success.sum()),
                        "n_loop_finite": int(fin.sum()),
                        "median_loss_ratio": float(np.median(res.loss[fin] / np.maximum(loop_loss[fin], 1e-300)))}
    out = {"series": len(batch), "laws": list(laws),
           "wall_s": {"oncodyn": round(ours_total, 4), "scipy_loop": round(loop_total, 4)},
           "speedup": round(loop_total / ours_total, 2),
           "loss_not_worse_fraction": not_worse_strict / max(comparable, 1),
           "loss_not_worse_fraction_tol": not_worse / max(comparable, 1),
           "per_law": per_law, "data": str(data)}
    if json_out is not None:
        _write_json(out, json_out)
    return out
