"""Individual calibration of any model to any set of series, batched across series.

Recipe (the framework owns it; the user only chooses the model): parameters are mapped to an
unconstrained scale (log / logit / identity, from each :class:`~oncodyn.models.Parameter`); a
multi-start stage runs every data-driven start (``oncodyn.inference.starts``) to convergence with a
Levenberg–Marquardt solver vectorised across all series and starts; the best finite result per
series is kept. A polishing stage then continues the series that hit ``max_iter`` or stopped on
the exp(700) guard of a log parameter (inside a tighter guard, where the model's arithmetic
cannot overflow), and a short refinement at tolerance 1e-15 finishes every series (each accepted
only when it lowers the loss). Nothing non-finite is ever reported as success: each series gets
a :class:`FitStatus` and a message; undetermined parameters give ``NOT_IDENTIFIABLE``
(:mod:`oncodyn.inference.identifiability`). Regularisation: the TumorGrowth.jl penalty and a
Gaussian prior (:mod:`oncodyn.inference.regularise`).

Error models (Gaussian residuals on the chosen scale):

* ``additive``: y = f + e, e ~ N(0, s^2) (ordinary least squares);
* ``proportional``: y = f (1 + e), fitted by iteratively re-weighted (generalised) least squares
  with weights 1/f from the previous pass (Carroll & Ruppert 1988, *Transformation and Weighting in
  Regression*, ch. 2);
* ``combined``: sd = s sqrt(c^2 + f^2) with a fixed additive/proportional ratio ``c`` (data units),
  also by re-weighting.

Scales: ``linear`` compares the model with the values as given; ``log`` compares log f with log y
(values <= 0 are floored at ``log_floor``, and the number floored is reported in the message).
Conversions of the observable (diameter <-> volume) belong to the caller (see
:func:`oncodyn.inference.fit_frame`).

Information criteria use the Gaussian log-likelihood with the ML variance:
AIC = 2k - 2 log L, AICc = AIC + 2k(k+1)/(n-k-1), BIC = k log n - 2 log L with k = n_params + 1
(Burnham & Anderson 2002, *Model Selection and Multimodel Inference*, §2.4, §7.7).
Standard errors: cov(theta) = s^2 (J^T W J)^-1 with s^2 = RSS/(n - p) (Seber & Wild 1989,
*Nonlinear Regression*, §2.1), mapped to the natural scale by the delta method.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

import numpy as np

from ..errors import ConfigError
from ..models import Model, get_model
from . import _transform as tr
from ._batch import SeriesBatch
from ._lm import batched_lm
from .identifiability import flag_unidentified
from .regularise import GaussianPrior, penalty_factor, penalty_indices
from .results import FitResult, FitStatus
from .starts import initial_guesses

Scale = Literal["linear", "log"]
ErrorModel = Literal["additive", "proportional", "combined"]


def _prediction_fn(model: Model, t: np.ndarray, exposure: Any) -> Any:
    def predict(theta: np.ndarray, rows: np.ndarray, cols: slice = slice(None)) -> np.ndarray:
        p = tr.to_constrained(model, theta)
        u = exposure
        if exposure is not None and not callable(exposure) and np.ndim(exposure) > 0:
            u = np.asarray(exposure, float)[rows % len(exposure)]
        tt = t[rows, cols]
        with np.errstate(all="ignore"):
            if model.closed_form is not None and not callable(u):
                return np.asarray(model.closed_form(tt, p, 0.0 if u is None else u, np), float)
            return np.asarray(model.predict(tt, p, exposure=u, method="ode"), float)

    return predict


def fit(
    model: str | Model,
    data: SeriesBatch,
    *,
    scale: Scale = "linear",
    error: ErrorModel = "additive",
    combined_ratio: float | None = None,
    log_floor: float | None = None,
    starts: np.ndarray | None = None,
    fixed: dict[str, float] | None = None,
    exposure: Any = None,
    max_iter: int = 200,
    screen_iter: int = 8,
    ftol: float = 1e-10,
    reweight_passes: int = 3,
    penalty: float | None = None,
    prior: GaussianPrior | None = None,
    polish_iter: int = 200,
    refine_iter: int = 10,
    optimiser: str = "lm",
) -> FitResult:
    """Fit ``model`` to every series of ``data`` (a :class:`SeriesBatch`).

    Parameters
    ----------
    model : name or Model
    data : SeriesBatch (see :meth:`SeriesBatch.from_frame`, or :func:`fit_frame` for tables)
    scale : "linear" or "log" residual scale.
    error : "additive", "proportional" or "combined" error model.
    combined_ratio : c in sd = s sqrt(c^2 + f^2) (data units); default 5% of each series' max.
    log_floor : values <= 0 are replaced by this on the log scale; default 1% of each series' max.
    starts : optional natural-scale starts (S, n_series, n_params), replacing the default ones.
    fixed : parameter values held fixed (not estimated), e.g. ``{"lam": 0.0}``.
    exposure : model input (constant, per-series array, or callable) for response models.
    max_iter : iterations (Jacobian evaluations) for the retained start of each series.
    screen_iter : iterations given to every start before the best one per series is kept
        (0 runs every start to convergence).
    ftol : relative loss decrease (and relative step) at which a local run stops.
    reweight_passes : re-weighting passes for the proportional and combined error models.
    penalty : exponent lam of the TumorGrowth.jl penalty (the loss times
        ((v0^2 + v_inf^2)/(2 v0 v_inf))^lam; TumorGrowth.jl's model battle uses 0.8, see
        :mod:`oncodyn.inference.regularise`); None or 0 for none. Laws with v0 and v_inf only.
    prior : a :class:`~oncodyn.inference.regularise.GaussianPrior` on the unconstrained
        parameters (e.g. a population fit's typical values and Omega): the fit is then the MAP
        estimate, its covariance the Laplace posterior covariance with the prior's sigma.
    polish_iter : further iterations for the series whose retained start hit ``max_iter``
        or stopped on a bound (continued from where it stopped with fresh damping; 0 disables
        polishing and the refinement).
    refine_iter : iterations of a final refinement of every series at tolerance 1e-15.
    optimiser : "lm" (default: batched Levenberg-Marquardt to the least-squares optimum) or
        "tumorgrowth": TumorGrowth.jl's own calibration (penalty 0.8, scaled Adam, a fixed
        number of steps; :mod:`oncodyn.inference.tumorgrowth_recipe`) for gompertz, logistic,
        classical_bertalanffy and bertalanffy; then only ``penalty`` may be set (default 0.8)
        and the other options must keep their defaults.

    Returns
    -------
    FitResult, with ``loss`` the residual sum of squares and ``objective`` the minimised value.
    Parameters the points do not determine (a runaway ``v_inf``, a parameter at a bound, a
    singular information matrix or an SE blow-up; see :mod:`oncodyn.inference.identifiability`)
    give status ``NOT_IDENTIFIABLE`` with a message naming them.
    """
    model = get_model(model)
    if not isinstance(data, SeriesBatch):
        raise ConfigError(f"data must be a SeriesBatch (SeriesBatch.from_frame(table), or "
                          f"fit_frame(model, table) for a table), got {type(data).__name__}")
    if optimiser == "tumorgrowth":
        if (scale, error, starts, fixed, exposure, prior) != ("linear", "additive", None, None,
                                                             None, None):
            raise ConfigError("optimiser='tumorgrowth' is TumorGrowth.jl's recipe: linear "
                              "additive least squares without starts, fixed, exposure or prior")
        if len(data) == 0:
            raise ConfigError("no series to fit (the batch is empty)")
        from .tumorgrowth_recipe import recipe_fit_result

        return recipe_fit_result(model, data, penalty=penalty)
    if optimiser != "lm":
        raise ConfigError(f"optimiser must be 'lm' or 'tumorgrowth', got {optimiser!r}")
    for name, value in (("max_iter", max_iter), ("screen_iter", screen_iter),
                        ("polish_iter", polish_iter), ("refine_iter", refine_iter),
                        ("reweight_passes", reweight_passes)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0 or (
                name == "max_iter" and value < 1):
            low = 1 if name == "max_iter" else 0
            raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
    if scale not in ("linear", "log"):
        raise ConfigError(f"scale must be 'linear' or 'log', got {scale!r}")
    if error not in ("additive", "proportional", "combined"):
        raise ConfigError(f"error must be 'additive', 'proportional' or 'combined', got {error!r}")
    b = len(data)
    n_par = model.n_params
    fixed = fixed or {}
    if len(data) == 0:
        raise ConfigError("no series to fit (the batch is empty)")
    unknown = [k for k in fixed if k not in model.param_names]
    if unknown:
        raise ConfigError(f"fixed: unknown parameter(s) {unknown} of model {model.name!r}; "
                          f"allowed: {', '.join(model.param_names)}")
    fixed_idx = np.array([model.index(k) for k in fixed], dtype=int)
    free = np.setdiff1d(np.arange(n_par), fixed_idx)
    valid = data.mask & np.isfinite(data.y) & np.isfinite(data.t)
    n_obs = valid.sum(axis=1)
    n_missing = np.sum(data.mask & ~valid, axis=1)
    n_nonpositive = np.sum(valid & (data.y <= 0), axis=1)
    y = np.where(valid, data.y, np.nan)
    t = np.where(valid, data.t, 0.0)
    ymax = np.nanmax(np.where(valid, np.abs(y), np.nan), axis=1, initial=0.0)
    n_floored = np.zeros(b, dtype=int)
    if scale == "log":
        floor = (0.01 * ymax if log_floor is None else np.full(b, float(log_floor)))
        floor = np.where(floor > 0, floor, 1e-12)
        n_floored = np.sum(valid & (y <= floor[:, None]), axis=1)
        y_cmp = np.log(np.maximum(y, floor[:, None]))
    else:
        y_cmp = y
    c_ratio = (0.05 * ymax if combined_ratio is None else np.full(b, float(combined_ratio)))
    lam = float(penalty or 0.0)
    if lam < 0 or not np.isfinite(lam):
        raise ConfigError(f"penalty must be a finite number >= 0, got {penalty!r}")
    if lam > 0:
        penalty_indices(model)  # a ConfigError for laws without v0 and v_inf
    if prior is not None:
        if np.shape(prior.mean)[-1] != n_par:
            raise ConfigError(f"prior has {np.shape(prior.mean)[-1]} parameters, model "
                              f"{model.name!r} has {n_par}")
        pr_mean, pr_linv, pr_sigma = prior.rows(b, free)
    n_prior = 0 if prior is None else free.size

    if starts is None:
        starts = initial_guesses(model, data)
    starts = np.asarray(starts, float)
    if starts.ndim == 2:
        starts = starts[None]
    for k, v in fixed.items():
        starts[..., model.index(k)] = v
    n_starts = starts.shape[0]
    theta_full0 = tr.to_unconstrained(model, starts.reshape(-1, n_par))
    rows_series = np.tile(np.arange(b), n_starts)
    predict = _prediction_fn(model, t, exposure)
    theta_fixed = theta_full0.copy()

    def assemble(theta_free: np.ndarray, rows: np.ndarray) -> np.ndarray:
        full = theta_fixed[rows].copy()
        full[:, free] = theta_free
        return full

    weights = np.ones((b, y.shape[1]))
    passes = 1 if error == "additive" else 1 + max(1, reweight_passes)
    theta_start = theta_full0[:, free]
    row_map = np.arange(n_starts * b)

    def model_residual(full: np.ndarray, srows: np.ndarray, cols: slice = slice(None),
                       weighted: bool = True) -> np.ndarray:
        f = predict(full, srows, cols)
        if scale == "log":
            with np.errstate(all="ignore"):
                f = np.where(f > 0, np.log(f), np.nan)
        res = f - y_cmp[srows, cols]
        return res * weights[srows, cols] if weighted else res

    def make_residual(rmap: np.ndarray, cols: slice = slice(None)) -> Any:
        def residual(theta_free: np.ndarray, rows: np.ndarray) -> np.ndarray:
            lrows = rmap[rows]
            srows = rows_series[lrows]
            full = assemble(theta_free, lrows)
            res = model_residual(full, srows, cols, not unweighted)
            if lam > 0:
                with np.errstate(over="ignore", invalid="ignore"):
                    res = res * penalty_factor(model, full, lam)[0][:, None]
            if n_prior:
                dev = theta_free - pr_mean[srows]
                pr = np.einsum("bij,bj->bi", pr_linv[srows], dev) * pr_sigma[srows, None]
                res = np.concatenate([res, pr], axis=1)
            return res

        return residual

    def vmask(srows: np.ndarray, width: int | None = None) -> np.ndarray:
        v = valid[srows] if width is None else valid[srows, :width]
        if n_prior:
            v = np.concatenate([v, np.ones((len(srows), n_prior), bool)], axis=1)
        return v

    all_free = free.size == n_par
    analytic = (model.jacobian is not None and model.closed_form is not None
                and not callable(exposure))

    def make_jacobian(rmap: np.ndarray, cols: slice = slice(None)) -> Any:
        if not analytic:
            return None

        def jacobian(theta_free: np.ndarray, rows: np.ndarray) -> np.ndarray:
            lrows = rmap[rows]
            srows = rows_series[lrows]
            full = assemble(theta_free, lrows)
            p = tr.to_constrained(model, full)
            u = 0.0 if exposure is None else exposure
            tt = t[srows, cols]
            with np.errstate(all="ignore"):
                dfdp = np.asarray(model.jacobian(tt, p, u, np), float)  # (b, T, P)
                J = dfdp * tr.jacobian_diag(model, full)[:, None, :]
                if scale == "log":
                    f = np.asarray(model.closed_form(tt, p, u, np), float)
                    J = J / f[:, :, None]
            if not all_free:
                J = J[:, :, free]
            if not unweighted:
                J = J * weights[srows, cols][:, :, None]
            if lam > 0:
                sq, dsq = penalty_factor(model, full, lam)
                r = model_residual(full, srows, cols, not unweighted)
                with np.errstate(over="ignore", invalid="ignore"):
                    J = J * sq[:, None, None] + r[:, :, None] * dsq[:, None, free]
            if n_prior:
                J = np.concatenate([J, pr_linv[srows] * pr_sigma[srows, None, None]], axis=1)
            return J

        return jacobian

    # an exact fit: a loss below 1e-14 of the data's sum of squares is rounding noise (relative
    # residuals ~1e-7, the finite-difference/solver precision), so such rows stop there
    floor = 1e-14 * np.nansum(np.where(valid, y_cmp, 0.0) ** 2, axis=1)
    if n_prior:  # with a prior every series is fitted, but never to an exactly zero loss
        floor[:] = 0.0
    else:
        floor[n_obs < free.size] = np.inf  # too few points: not fitted (TOO_FEW_POINTS)
    floor = floor[rows_series]
    tlo, thi = tr.theta_bounds(model)
    tlo, thi = tlo[free], thi[free]
    for pass_i in range(passes):
        unweighted = pass_i == 0  # weights are all ones until the first re-weighting
        if pass_i == 0 and n_starts > 1 and screen_iter > 0:
            # multi-start screening: every start for ``screen_iter`` iterations, then the best one
            # per series is run to convergence (Ugray et al. 2007 INFORMS J Comput 19:328, the
            # "stage 1 / stage 2" pattern of multistart local solvers). Screening runs a fixed
            # number of iterations on every row, so it is cheapest on series grouped by length
            # (less padding); the tail-heavy stage 2 is not grouped.
            screen_theta = theta_start.copy()
            screen_loss = np.full(n_starts * b, np.inf)
            for idx in _length_buckets(data.n):
                width = max(int(data.n[idx].max()), 1)
                rows = (np.arange(n_starts)[:, None] * b + idx[None, :]).ravel()
                cols = slice(0, width)
                part = batched_lm(make_residual(rows, cols), theta_start[rows],
                                  vmask(rows_series[rows], width), max_iter=screen_iter,
                                  lower=tlo, upper=thi, jac_fun=make_jacobian(rows, cols),
                                  loss_floor=floor[rows], return_jac=False)
                screen_theta[rows] = part.theta
                screen_loss[rows] = part.loss
            loss1 = screen_loss.reshape(n_starts, b)
            pick = np.argmin(np.where(np.isfinite(loss1), loss1, np.inf), axis=0)
            best_rows = pick * b + np.arange(b)
            # the default start goes on too where it lost the screening (continued from its
            # screened state, the same deterministic path as a restart), so the result is never
            # worse than one local run from it, up to the optimiser's tolerance
            redo = np.flatnonzero(pick != 0)
            row_map = np.concatenate([best_rows, redo])
            theta_start = np.concatenate([screen_theta[best_rows], screen_theta[redo]])
        res = batched_lm(make_residual(row_map), theta_start, vmask(rows_series[row_map]),
                         max_iter=max_iter, lower=tlo, upper=thi, ftol=ftol, xtol=ftol,
                         jac_fun=make_jacobian(row_map), loss_floor=floor[row_map])
        if polish_iter > 0:
            # polish: rows that hit max_iter or stopped on a bound go on from where they stopped
            # with fresh damping (slow valleys, e.g. a carrying capacity drifting away, where the
            # loss still decreases; a step blocked by a bound can look like convergence)
            stuck = np.flatnonzero(~res.converged & np.isfinite(res.loss))
            if stuck.size:
                sub = row_map[stuck]
                more = batched_lm(make_residual(sub), res.theta[stuck], vmask(rows_series[sub]),
                                  max_iter=polish_iter, lower=tlo, upper=thi, ftol=ftol,
                                  xtol=ftol, jac_fun=make_jacobian(sub), loss_floor=floor[sub])
                res = _merge_polish(res, stuck, more)
            # rows stopped on the overflow guard of a log parameter (|theta| = 700): the model's
            # arithmetic may overflow there (non-finite Jacobian entries are zeroed) and the
            # solver stall, so it goes on from its point pulled inside the tighter SAFE_GUARD;
            # the better of the two results is kept
            guard = np.isfinite(tlo) & (np.abs(tlo) >= tr.LOG_GUARD - 1e-9)
            guard_hi = np.isfinite(thi) & (thi >= tr.LOG_GUARD - 1e-9)
            on_guard = np.any((guard & (res.theta <= tlo + 1e-6))
                              | (guard_hi & (res.theta >= thi - 1e-6)), axis=1)
            stall = np.flatnonzero(on_guard & np.isfinite(res.loss))
            if stall.size:
                series = rows_series[row_map[stall]]
                slo = np.where(guard, -tr.SAFE_GUARD, tlo)
                shi = np.where(guard_hi, tr.SAFE_GUARD, thi)
                th0 = np.clip(res.theta[stall], slo, shi)
                again = batched_lm(make_residual(series), th0, vmask(series), max_iter=max_iter,
                                   lower=slo, upper=shi, ftol=ftol, xtol=ftol,
                                   jac_fun=make_jacobian(series), loss_floor=floor[series])
                res = _merge_polish(res, stall, again)
            # a last refinement of every row at machine-precision tolerances: a few
            # Gauss-Newton-like steps near the minimum (accepted only when they lower the loss)
            ok = np.flatnonzero(np.isfinite(res.loss))
            sub = row_map[ok]
            more = batched_lm(make_residual(sub), res.theta[ok], vmask(rows_series[sub]),
                              max_iter=refine_iter, lower=tlo, upper=thi, ftol=1e-15, xtol=1e-15,
                              jac_fun=make_jacobian(sub), loss_floor=floor[sub] * 1e-6,
                              mu0=1e-8)
            res = _merge_polish(res, ok, more, keep_converged=True)
        # keep, for each series, its candidate with the smallest finite loss
        owner = rows_series[row_map]
        cand_loss = np.where(np.isfinite(res.loss), res.loss, np.inf)
        order = np.lexsort((cand_loss, owner))
        first = np.r_[True, owner[order][1:] != owner[order][:-1]]
        sel = order[first]
        best_loss = res.loss[sel]
        best_theta = assemble(res.theta[sel], row_map[sel])
        best_conv = res.converged[sel]
        best_iter = res.n_iter[sel]
        jac_best = res.jac[sel]
        row_map = row_map[sel]
        theta_start = res.theta[sel]
        if pass_i < passes - 1:
            with np.errstate(all="ignore"):
                f = predict(best_theta, np.arange(b))
                base = f if scale == "linear" else np.ones_like(f)
                if error == "proportional":
                    w = 1.0 / np.abs(base)
                else:
                    w = 1.0 / np.sqrt(c_ratio[:, None] ** 2 + base**2)
            ok = np.isfinite(w) & (w > 0)
            w = np.where(ok, w, 0.0)
            # normalise weights so the loss stays on the data scale
            mean_w = np.sum(np.where(valid, w, 0), 1) / np.maximum(n_obs, 1)
            weights = np.where(mean_w[:, None] > 0, w / np.where(mean_w > 0, mean_w, 1)[:, None], 1.0)
    objective = best_loss
    if lam > 0 or n_prior:
        unweighted = passes == 1
        with np.errstate(all="ignore"):
            r = model_residual(best_theta, np.arange(b), weighted=not unweighted)
        best_loss = np.where(np.isfinite(objective),
                             np.sum(np.where(valid, r, 0.0) ** 2, axis=1), np.inf)
    out = _summarise(model, data, best_theta, best_loss, best_conv, best_iter, jac_best, free,
                     n_obs, weights, valid, scale, error, n_floored, n_missing, n_nonpositive,
                     prior_sigma=pr_sigma if n_prior else None)
    return flag_unidentified(replace(out, objective=objective), data, free)


def _merge_polish(res: Any, rows: np.ndarray, more: Any, keep_converged: bool = False) -> Any:
    """Copy of ``res`` with the polished rows replaced where they improved (never worse);
    ``keep_converged``: a refinement keeps the rows' convergence flags."""
    better = np.isfinite(more.loss) & (more.loss < res.loss[rows])
    take = rows[better]
    theta, loss = res.theta.copy(), res.loss.copy()
    conv, n_it, jac = res.converged.copy(), res.n_iter.copy(), res.jac.copy()
    theta[take], loss[take] = more.theta[better], more.loss[better]
    if not keep_converged:
        conv[take] = more.converged[better]
    n_it[take] = n_it[take] + more.n_iter[better]
    jac[take] = more.jac[better]
    return replace(res, theta=theta, loss=loss, converged=conv, n_iter=n_it, jac=jac)


def _length_buckets(n: np.ndarray, growth: float = 1.6) -> list[np.ndarray]:
    """Series indices grouped by length, bucket upper bounds growing by ``growth``."""
    n = np.asarray(n)
    if n.size == 0:
        return []
    edges = [max(int(n.min()), 1)]
    while edges[-1] < n.max():
        edges.append(max(edges[-1] + 1, int(edges[-1] * growth)))
    out, prev = [], -1
    for e in edges:
        idx = np.flatnonzero((n > prev) & (n <= e))
        if idx.size:
            out.append(idx)
        prev = e
    return out


def _summarise(model: Model, data: SeriesBatch, theta: np.ndarray, loss: np.ndarray,
               conv: np.ndarray, n_iter: np.ndarray, jac: np.ndarray, free: np.ndarray,
               n_obs: np.ndarray, weights: np.ndarray, valid: np.ndarray, scale: str,
               error: str, n_floored: np.ndarray, n_missing: np.ndarray,
               n_nonpositive: np.ndarray, prior_sigma: np.ndarray | None = None) -> FitResult:
    b, n_par = theta.shape
    k_free = free.size
    params = tr.to_constrained(model, np.where(np.isfinite(theta), theta, 0.0))
    finite = np.isfinite(loss) & np.all(np.isfinite(params), axis=1)
    enough = n_obs >= (k_free if prior_sigma is None else 1)
    params = np.where((finite & enough)[:, None], params, np.nan)
    with np.errstate(all="ignore"):
        dof = n_obs - k_free
        s2 = np.where(dof > 0, loss / np.maximum(dof, 1), np.nan)
        if prior_sigma is not None:  # MAP fit: the Laplace posterior with the prior's sigma
            s2 = prior_sigma**2
            dof = np.maximum(dof, 1)
        info = np.einsum("btp,btq->bpq", jac, jac)
        cov_free = np.full((b, k_free, k_free), np.nan)
        ok_cov = finite & (dof > 0)
        # a (nearly) singular information matrix: some parameter combination is not
        # identifiable from these points (condition number beyond 1/sqrt(machine epsilon)^2)
        singular = np.zeros(b, dtype=bool)
        if np.any(ok_cov):
            cond = np.linalg.cond(info[ok_cov])
            det_ok = np.isfinite(cond) & (cond < 1e14)
            singular[np.flatnonzero(ok_cov)[~det_ok]] = True
            sub = np.flatnonzero(ok_cov)[det_ok]
            if sub.size:
                cov_free[sub] = np.linalg.inv(info[sub]) * s2[sub, None, None]
        cov = np.full((b, n_par, n_par), np.nan)
        cov[np.ix_(np.arange(b), free, free)] = cov_free
        dp = tr.jacobian_diag(model, theta)
        var = np.diagonal(cov, axis1=1, axis2=2)
        se = np.sqrt(np.where(var >= 0, var, np.nan)) * np.abs(dp)
        se[:, np.setdiff1d(np.arange(n_par), free)] = 0.0
        # Gaussian log-likelihood with ML variance; weights enter through sum(log w)
        n = n_obs.astype(float)
        sig2_ml = loss / np.maximum(n, 1)
        logw = np.sum(np.where(valid, np.log(np.where(weights > 0, weights, 1.0)), 0.0), axis=1)
        loglik = -0.5 * n * (np.log(2 * np.pi * sig2_ml) + 1.0) + logw
        if scale == "log":  # density of y, not of log y: Jacobian of the transform
            ly = np.log(np.where(valid & (data.y > 0), data.y, 1.0))
            loglik = loglik - np.sum(np.where(valid, ly, 0.0), axis=1)
        k = k_free + 1.0
        aic = 2 * k - 2 * loglik
        aicc = np.where(n - k - 1 > 0, aic + 2 * k * (k + 1) / (n - k - 1), np.inf)
        bic = k * np.log(np.maximum(n, 1)) - 2 * loglik
        sigma = np.sqrt(s2)
    status: list[FitStatus] = []
    message: list[str] = []
    for i in range(b):
        if not enough[i]:
            status.append(FitStatus.TOO_FEW_POINTS)
            message.append(f"{n_obs[i]} points for {k_free} free parameters: cannot fit; "
                           "fix parameters (fixed=...) or choose a simpler model")
        elif not finite[i]:
            status.append(FitStatus.FAILED)
            message.append("no start gave a finite loss: check the data (zeros on the log scale, "
                           "absurd values) or supply starts=...")
        elif not conv[i]:
            status.append(FitStatus.MAX_ITER)
            message.append(f"best fit after {n_iter[i]} iterations did not meet the convergence "
                           "tolerance; increase max_iter or check identifiability")
        else:
            msg = "converged"
            if dof[i] <= 0:
                msg += "; as many parameters as points: no standard errors"
            elif singular[i]:
                msg += ("; parameters not identifiable from these points (singular information "
                        "matrix): no standard errors")
            if n_floored[i]:
                msg += f"; {n_floored[i]} value(s) <= 0 floored on the log scale"
            elif n_nonpositive[i] and scale == "linear":
                msg += f"; {n_nonpositive[i]} value(s) <= 0 (sizes should be positive)"
            if n_missing[i]:
                msg += f"; {n_missing[i]} missing value(s) ignored"
            status.append(FitStatus.CONVERGED)
            message.append(msg)
    loss = np.where(finite, loss, np.inf)
    return FitResult(model=model, ids=data.ids, params=params, se=se, loss=loss, sigma=sigma,
                     n_obs=n_obs, loglik=loglik, aic=aic, aicc=aicc, bic=bic,
                     status=tuple(status), message=tuple(message), n_iter=n_iter, scale=scale,
                     error=error, cov_theta=cov, theta=theta)
