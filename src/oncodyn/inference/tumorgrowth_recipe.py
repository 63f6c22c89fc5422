"""TumorGrowth.jl's calibration recipe (penalised loss + scaled Adam, fixed step count), batched.

A faithful NumPy port of how TumorGrowth.jl (Blaom & Okon 2025, arXiv:2502.07964; repository
``ablaom/TumorGrowth``) calibrates the generalised-Bertalanffy family in its model battle
(``docs/src/examples/04_model_battle/notebook.jl``: ``compare(times, volumes, models;
holdouts=2)`` with default options). Read from these files and commits:

* ``src/calibration.jl`` (commit 9ce23db7deea4c78092b4a79038f43f7c10cf0a0): volumes below
  ``eps(Float64)`` are replaced by ``eps``; loss = sum of squares x ``factor(p, penalty)`` with
  ``factor = ((v0^2 + v_inf^2) / (2 v0 v_inf))^penalty``; the constraint ``v0 > 0 && v_inf > 0``.
* ``src/api.jl`` (``options``, ``n_iterations_default``; same era as ``src/compare.jl`` commit
  19c0482f1899a8a72e821c4077961d8fdd989484): ``learning_rate = 0.0001``, ``penalty = 0.8``,
  10,000 Adam steps; ``src/models/bertalanffy.jl`` (commit 0d805901765484e42de26d9f860cd9da9ed1c96d):
  20,000 steps for the general Bertalanffy law, initial ``lam = 1/3``.
* ``src/models/classical_bertalanffy.jl`` (commit 022ed48725193e42328d33840216bb8802414b39):
  initial guess ``v0 = volumes[1]``, ``v_inf`` = last volume > eps, ``omega = (log max volume -
  log min non-zero volume) / (max time - min time)`` (``1 / (last - first time)`` with a single
  non-zero volume); scale function multiplies ``v0, v_inf`` by ``|v_inf guess|`` and ``omega`` by
  ``|omega guess|`` (gompertz and bertalanffy reuse it; ``lam`` unscaled).
* ``src/optimisers.jl`` (commit fcd37d76b5573abb847298429f3cf1d50d7bd4f7): each step takes the
  gradient w.r.t. the *natural* parameters, applies the scale function twice to it
  (``scale(scale(grad))``), then one ``Optimisers.Adam(learning_rate)`` update (beta = (0.9,
  0.999), epsilon = 1e-8, Optimisers.jl defaults); a candidate violating the constraint is
  rejected and, through ``InvalidValue()`` in ``src/compare.jl``, calibration stops at the last
  in-bounds value; a non-finite loss stops it too.
* ``src/models/bertalanffy.jl``: time is measured from the first calibration time
  (``t - first(times)``), so ``v0`` is the size at the first scan.

Nothing here is tuned: every setting is TumorGrowth.jl's. The many volumes of the Laleh data are
~1e-3..1e-2 (normalised), so gradients times the squared scales are ~1e-8, the size of Adam's
epsilon: Adam then behaves like a small-step gradient descent and 10,000 steps stop it well before
the least-squares optimum. That early stopping is part of the recipe and acts as a regulariser.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..models import Model, get_model
from ._batch import SeriesBatch
from .results import FitResult

LEARNING_RATE = 1e-4
"""Adam learning rate: TumorGrowth.jl ``options(model, optimiser)`` in ``src/api.jl``."""
PENALTY = 0.8
"""Penalty exponent: TumorGrowth.jl ``options`` (``src/api.jl``), ``penalty_default``."""
BETA1, BETA2, EPSILON = 0.9, 0.999, 1e-8
"""Optimisers.jl ``Adam`` defaults, used by TumorGrowth.jl ``Optimisers.Adam(learning_rate)``."""
ITERATIONS = {"gompertz": 10_000, "logistic": 10_000, "classical_bertalanffy": 10_000,
              "bertalanffy": 20_000}
"""Adam steps: ``n_iterations_default`` (10,000, ``src/api.jl``) and ``iterations_default(
::typeof(bertalanffy))`` = 20,000 (``src/models/bertalanffy.jl``)."""
_EPS = float(np.finfo(float).eps)


@dataclass(frozen=True)
class RecipeFit:
    """Result of :func:`fit_tumorgrowth` (parameters in TumorGrowth.jl's convention).

    Attributes
    ----------
    model : the oncodyn law (its closed form evaluates the curve).
    params : (B, P) natural parameters (v0 = size at ``t0``, v_inf, omega[, lam]).
    t0 : (B,) time origin of each series (its first calibration time).
    steps : (B,) Adam steps taken (fewer than the limit when calibration stopped early).
    stopped : (B,) True where a step went out of bounds or the loss was not finite.
    """

    model: Model
    params: np.ndarray
    t0: np.ndarray
    steps: np.ndarray
    stopped: np.ndarray

    def predict(self, t: np.ndarray) -> np.ndarray:
        """Sizes at times ``t`` (B, H); NaN where ``t`` is NaN or the curve is undefined."""
        t = np.asarray(t, float)
        tt = np.where(np.isfinite(t), t - self.t0[:, None], 0.0)
        with np.errstate(all="ignore"):
            v = np.asarray(self.model.closed_form(tt, self.params, None, np))
        return np.where(np.isfinite(t), v, np.nan)


def initial_guess(t: np.ndarray, y: np.ndarray, n: np.ndarray,
                  law: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TumorGrowth.jl's ``guess_parameters`` and scales for (B, N) padded series.

    Returns (params (B, P), scale (B, P), ok (B,)); ``ok`` is False where every volume is
    <= eps (TumorGrowth.jl raises there) or the first volume is not > 0 (out of bounds at start).
    """
    b, width = y.shape
    valid = np.arange(width)[None, :] < n[:, None]
    nz = valid & (y > _EPS)
    ok = nz.any(axis=1) & (y[:, 0] > 0)
    last_nz = np.where(nz.any(axis=1), width - 1 - np.argmax(nz[:, ::-1], axis=1), 0)
    v0 = y[:, 0]
    vinf = y[np.arange(b), last_nz]
    tmax = np.nanmax(np.where(valid, t, -np.inf), axis=1)
    tmin = np.nanmin(np.where(valid, t, np.inf), axis=1)
    with np.errstate(all="ignore"):
        v1 = np.min(np.where(nz, y, np.inf), axis=1)
        v2 = np.max(np.where(valid, y, -np.inf), axis=1)
        omega = np.where(nz.sum(axis=1) == 1, 1.0 / (t[np.arange(b), n - 1] - t[:, 0]),
                         (np.log(v2) - np.log(v1)) / (tmax - tmin))
    cols = [v0, vinf, omega]
    scales = [np.abs(vinf), np.abs(vinf), np.abs(omega)]
    if law == "bertalanffy":
        cols.append(np.full(b, 1.0 / 3.0))
        scales.append(np.ones(b))
    ok &= np.all(np.isfinite(np.stack(cols, 1)), axis=1)
    return np.stack(cols, 1), np.stack(scales, 1), ok


def loss_and_gradient(model: Model, x: np.ndarray, t: np.ndarray, y: np.ndarray, w: np.ndarray,
                      penalty: float) -> tuple[np.ndarray, np.ndarray]:
    """TumorGrowth.jl's penalised loss sum(w (V - y)^2) x factor(p, penalty) and its gradient
    w.r.t. the natural parameters ``x`` (B, P); ``t`` (B, N) from the first time, ``w`` 0/1 mask.

    ``factor = ((v0^2 + v_inf^2)/(2 v0 v_inf))^penalty`` (``src/calibration.jl``), so
    d ln(factor)/d v0 = penalty (2 v0/(v0^2 + v_inf^2) - 1/v0), likewise for v_inf.
    """
    pred = np.asarray(model.closed_form(t, x, None, np))
    jac = np.asarray(model.jacobian(t, x, None, np))  # (B, N, P)
    r = (pred - y) * w
    sse = np.sum(r * r, axis=1)
    v0, vi = x[:, 0], x[:, 1]
    s2 = v0 * v0 + vi * vi
    fac = (s2 / (2 * v0 * vi)) ** penalty
    grad = 2.0 * fac[:, None] * np.einsum("bn,bnp->bp", r, jac)
    grad[:, 0] += sse * fac * penalty * (2 * v0 / s2 - 1 / v0)
    grad[:, 1] += sse * fac * penalty * (2 * vi / s2 - 1 / vi)
    return sse * fac, grad


def fit_tumorgrowth(law: str, data: SeriesBatch, *, iterations: int | None = None,
                    penalty: float = PENALTY, learning_rate: float = LEARNING_RATE) -> RecipeFit:
    """Calibrate ``law`` on every series of ``data`` the way TumorGrowth.jl does (module doc).

    ``law``: one of gompertz, logistic, classical_bertalanffy, bertalanffy. ``iterations``
    defaults to TumorGrowth.jl's (:data:`ITERATIONS`). Series that TumorGrowth.jl could not start
    (all volumes ~0, first volume 0) get NaN parameters. Batched: all series step together.
    """
    if law not in ITERATIONS:
        raise ConfigError(f"the TumorGrowth.jl recipe covers {', '.join(ITERATIONS)}; got {law!r}")
    n_iter = ITERATIONS[law] if iterations is None else int(iterations)
    if n_iter < 0 or not np.isfinite(penalty) or penalty < 0 or learning_rate <= 0:
        raise ConfigError("iterations >= 0, penalty >= 0 and learning_rate > 0 are required")
    model = get_model(law)
    b = len(data)
    n = np.asarray(data.n, int)
    width = int(n.max()) if b else 0
    t = np.asarray(data.t, float)[:, :width]
    y_raw = np.asarray(data.y, float)[:, :width]
    valid = np.arange(width)[None, :] < n[:, None]
    x, sc, ok = initial_guess(t, y_raw, n, law)
    y = np.where(valid, np.maximum(np.nan_to_num(y_raw), _EPS), 0.0)  # eps for zero volumes
    t0 = t[:, 0].copy()
    tt = np.where(valid, t - t0[:, None], 0.0)
    w = valid.astype(float)
    sc2 = sc**2
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    active = ok.copy()
    steps = np.zeros(b, int)
    stopped = ~ok
    b1t, b2t = BETA1, BETA2
    x = np.where(ok[:, None], x, 1.0)  # placeholders, reported as NaN
    with np.errstate(all="ignore"):
        for _ in range(n_iter):
            if not active.any():
                break
            a = np.flatnonzero(active)
            xa = x[a]
            _, grad = loss_and_gradient(model, xa, tt[a], y[a], w[a], penalty)
            grad *= sc2[a]  # scale(scale(grad))
            m_new = BETA1 * m[a] + (1 - BETA1) * grad
            v_new = BETA2 * v[a] + (1 - BETA2) * grad * grad
            step = m_new / (1 - b1t) / (np.sqrt(v_new / (1 - b2t)) + EPSILON) * learning_rate
            cand = xa - step
            inb = (cand[:, 0] > 0) & (cand[:, 1] > 0)  # NaN fails too
            acc = a[inb]
            x[acc], m[acc], v[acc] = cand[inb], m_new[inb], v_new[inb]
            steps[acc] += 1
            # InvalidValue(): stop when out of bounds or the loss at the new point is not finite
            pa = np.asarray(model.closed_form(tt[acc], x[acc], None, np))
            fin = np.all(np.isfinite(np.where(valid[acc], pa, 0.0)), axis=1)
            bad = np.concatenate([a[~inb], acc[~fin]])
            active[bad] = False
            stopped[bad] = True
            b1t *= BETA1
            b2t *= BETA2
    params = np.where(ok[:, None], x, np.nan)
    return RecipeFit(model, params, t0, steps, stopped)


def forecast_tumorgrowth(law: str, data: SeriesBatch, *, holdout: int,
                         **options: float) -> tuple[RecipeFit, np.ndarray, np.ndarray]:
    """Fit each series without its last ``holdout`` points with :func:`fit_tumorgrowth` and
    predict them. Returns (fit, forecast (B, H), held-out values (B, H))."""
    if int(holdout) < 1:
        raise ConfigError(f"holdout must be >= 1, got {holdout}")
    k = np.maximum(np.asarray(data.n) - int(holdout), 0)
    if np.any(k < 1):
        raise ConfigError("every series needs at least one point before the held-out ones")
    train, test = data.head(k), data.tail(k)
    res = fit_tumorgrowth(law, train, **options)  # type: ignore[arg-type]
    return res, res.predict(test.t), test.y


def recipe_fit_result(model: Model | str, data: SeriesBatch, *, penalty: float | None = None,
                      iterations: int | None = None) -> FitResult:
    """:func:`fit_tumorgrowth` as a :class:`~oncodyn.inference.results.FitResult` (what
    ``fit(model, data, optimiser="tumorgrowth")`` returns).

    The curve is re-expressed with oncodyn's time origin (``v0`` = size at t = 0: the GB ODE is
    autonomous, so the same curve read back to t = 0); standard errors come from the
    Gauss-Newton information at the recipe's point, which is *not* a least-squares optimum
    (early stopping is part of the recipe), so they are only indicative. A series whose curve
    leaves oncodyn's parameter ranges (e.g. omega < 0) or cannot be read back to t = 0 gets
    status ``FAILED`` with that message. ``loss`` is the residual sum of squares,
    ``objective`` the penalised loss that the recipe descends.
    """
    from dataclasses import replace

    from . import _transform as tr
    from .fit import _summarise
    from .identifiability import flag_unidentified
    from .results import FitStatus

    model = get_model(model)
    rec = fit_tumorgrowth(model.name, data, iterations=iterations,
                          penalty=PENALTY if penalty is None else float(penalty))
    b = len(data)
    n_par = model.n_params
    valid = data.mask & np.isfinite(data.y) & np.isfinite(data.t)
    with np.errstate(all="ignore"):
        back = np.asarray(model.closed_form(-rec.t0[:, None], rec.params, None, np))[:, 0]
        p = rec.params.copy()
        p[:, 0] = back
        # omega = 0 (TumorGrowth.jl's guess for a flat series, kept by its zero scale: a constant
        # curve) -> oncodyn's lower bound 1e-9: the curve moves < 1e-7 relative over 100 units
        p[:, 2] = np.where(p[:, 2] == 0.0, model.lower[2], p[:, 2])
        inside = np.all((p >= model.lower) & (p <= model.upper), axis=1) & np.isfinite(back)
        p = np.where(inside[:, None], p, np.nan)
        theta = np.where(inside[:, None], tr.to_unconstrained(model, np.nan_to_num(p, nan=1.0)),
                         np.nan)
        t = np.where(valid, data.t, 0.0)
        pred = np.asarray(model.closed_form(t, np.nan_to_num(p, nan=1.0), None, np))
        r = np.where(valid, pred - np.where(valid, data.y, 0.0), 0.0)
        loss = np.where(inside, np.sum(r * r, axis=1), np.inf)
        jac = np.asarray(model.jacobian(t, np.nan_to_num(p, nan=1.0), None, np))
        jac = jac * tr.jacobian_diag(model, np.nan_to_num(theta))[:, None, :]
        jac = np.where(valid[..., None] & np.isfinite(jac), jac, 0.0)
        v0, vi = p[:, 0], p[:, 1]
        lam = PENALTY if penalty is None else float(penalty)
        factor = ((v0 * v0 + vi * vi) / (2 * v0 * vi)) ** lam
    n_obs = valid.sum(axis=1)
    zeros = np.zeros(b, int)
    out = _summarise(model, data, theta, loss, np.ones(b, bool), rec.steps, jac,
                     np.arange(n_par), n_obs, np.ones(valid.shape), valid, "linear",
                     "additive", zeros, np.sum(data.mask & ~valid, axis=1),
                     np.sum(valid & (np.where(valid, data.y, 1.0) <= 0), axis=1))
    status, message = list(out.status), list(out.message)
    for i in range(b):
        if not inside[i] and status[i] != FitStatus.TOO_FEW_POINTS:
            status[i] = FitStatus.FAILED
            message[i] = ("TumorGrowth.jl recipe: the calibrated curve is outside oncodyn's "
                          "parameter ranges or undefined at t = 0")
        elif status[i] == FitStatus.CONVERGED:
            how = ("stopped at a bound (last in-bounds value kept)" if rec.stopped[i]
                   else "the fixed number of steps")
            message[i] = (f"TumorGrowth.jl recipe: {rec.steps[i]} Adam steps, {how}; not a "
                          "least-squares optimum (early stopping by design)"
                          + message[i][len("converged"):])
    out = replace(out, status=tuple(status), message=tuple(message),
                  objective=np.where(inside, loss * factor, np.inf))
    return flag_unidentified(out, data, np.arange(n_par))
