"""Population (nonlinear mixed-effects) estimation by SAEM: :func:`fit_population`.

Statistical model (series i = 1..N, reading j):

    y_ij = f(t_ij; psi_i) + sd(f) e_ij,        e_ij ~ N(0, 1)   (see ``_error``)
    phi_i = h(psi_i) = X_i beta + eta_i,       eta_i ~ N(0, Omega)

``h`` is the transform each model parameter declares (log for positive parameters, so random
effects are log-normal; logit for fractions). X_i holds an intercept per parameter and the
covariate columns of :mod:`.covariates`. Omega is diagonal or full over the parameters with a
random effect; parameters without one have phi_i = X_i beta exactly.

Algorithm: SAEM (Delyon B, Lavielle M, Moulines E 1999, Ann Stat 27:94) with an MCMC simulation
step (Kuhn E, Lavielle M 2005, Comput Stat Data Anal 49:1020), as in Monolix and nlmixr2:

1. simulation: a sweep of the three MH kernels of :mod:`._mcmc` for every chain and series at
   once (vectorised across patients);
2. stochastic approximation of the sufficient statistics s1_i = E[phi_i], s2 = sum_i
   E[phi_i phi_i^T] and of the residual-error statistic, with step gamma_k = 1 during the
   first K1 iterations (exploration) and gamma_k = 1/(k - K1 + 1) afterwards (smoothing);
3. maximisation: beta by generalised least squares on s1 (exact with full Omega and different
   covariates per parameter), Omega from s1, s2 and beta, residual error in closed form
   (additive, proportional) or numerically (combined) on the readings completed by imputing
   censored values (Samson et al. 2006).

Monolix heuristics kept (Lavielle 2014, *Mixed Effects Models for the Population Approach*,
ch. 9): simulated annealing in the exploration phase (each variance may shrink by at most 5% per
iteration), several chains per series when there are few series (Monolix: N x chains >= 50;
here >= 200), and
parameters without random effect estimated with a variance decreasing by 5% per iteration
("SAEM with decreasing variance"; floor 1e-6 on the transformed scale). Added here: 5 MCMC
sweeps at the starting values before the first iteration, and in the exploration phase a
residual-error sd grows by at most 5% per iteration (chains far from the data at the start
would otherwise inflate a proportional error in one step, and a large proportional error makes
predictions -> 0 a degenerate optimum); and the Laplace-centred kernel 4 of :mod:`._mcmc`,
refreshed every 50 iterations (on the Laleh OAK docetaxel arm it halved the seed-to-seed spread
of the SAEM estimates of g and d: from about 0.9 to 0.35-0.45 standard errors).

After SAEM, with the estimates fixed, the conditional distributions are sampled again (more
chains, step sizes frozen after a burn-in) to give: EBEs (conditional modes), eta-shrinkage,
-2LL by importance sampling, and standard errors (see :mod:`.information`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError
from ..inference import _transform as tr
from ..models import Model, get_model
from ._error import ERROR_KINDS, ErrorModel, impute_censored, mstep_error
from ._mcmc import Kernel, Problem, laplace_proposal, sweep
from .covariates import Coding, Covariates, build_coding
from .information import importance_minus2ll, score_information
from .posterior import map_from_draws, sample_conditional
from .results import PopulationFit, Trace

ANNEAL = 0.95
"""Largest per-iteration shrink factor of a variance in the exploration phase (Monolix)."""
GROW = 1.05
"""Largest per-iteration growth factor of a residual-error sd in the exploration phase."""
BURN = 5
"""MCMC sweeps at the starting values before the first SAEM iteration."""
MIN_CHAIN_SERIES = 200
"""Chains per series: the smallest count with N x chains >= 200 (Monolix uses 50; more chains
steady the small-N fits of weakly identified models, at no cost for large N)."""
LAPLACE_EVERY = 50
"""Iterations between updates of the Laplace (kernel 4) proposal centres and scales."""
FIXED_FLOOR = 1e-6
"""Floor of the decreasing variance of parameters without random effect (transformed scale)."""


def _gls(xs: list[np.ndarray], s1: np.ndarray, omega: np.ndarray) -> list[np.ndarray]:
    """beta_k minimising sum_i (s1_i - X_i beta)^T Omega^-1 (s1_i - X_i beta)."""
    oinv = np.linalg.inv(omega)
    sizes = [x.shape[1] for x in xs]
    off = np.r_[0, np.cumsum(sizes)]
    a = np.zeros((off[-1], off[-1]))
    rhs = np.zeros(off[-1])
    w = s1 @ oinv
    for k, xk in enumerate(xs):
        rhs[off[k]:off[k + 1]] = xk.T @ w[:, k]
        for m, xm in enumerate(xs):
            if oinv[k, m] != 0.0:
                a[off[k]:off[k + 1], off[m]:off[m + 1]] = oinv[k, m] * (xk.T @ xm)
    b = np.linalg.solve(a, rhs)
    return [b[off[k]:off[k + 1]] for k in range(len(xs))]


def _means(xs: list[np.ndarray], beta: list[np.ndarray]) -> np.ndarray:
    return np.column_stack([x @ b for x, b in zip(xs, beta, strict=True)])


def _initial(model: Model, batch: Any, prob: Problem, init: Mapping[str, float] | None
             ) -> tuple[np.ndarray, list[str]]:
    """Starting typical values (transformed scale) and notes on how they were chosen."""
    notes: list[str] = []
    if init is not None:
        unknown = [k for k in init if k not in model.param_names]
        if unknown:
            raise ConfigError(f"init: unknown parameter(s) {unknown}; the model has "
                              f"{', '.join(model.param_names)}")
        p = model.params(**init)
        notes.append("starting values: init, model defaults for the others")
        return tr.to_unconstrained(model, p), notes
    from ..inference import fit as individual_fit

    start = tr.to_unconstrained(model, model.defaults)
    try:
        res = individual_fit(model, batch, error="additive", max_iter=60, screen_iter=4)
        ok = res.success & np.all(np.isfinite(res.theta), axis=1)
        if ok.sum() >= max(3, 0.2 * len(batch)):
            med = np.median(res.theta[ok], axis=0)
            lo, hi = tr.theta_bounds(model)
            start = np.where(np.isfinite(med), np.clip(med, lo + 1e-6, hi - 1e-6), start)
            notes.append(f"starting values: medians of {int(ok.sum())} individual fits")
        else:
            notes.append("starting values: model defaults (too few individual fits converged)")
    except (ValueError, FloatingPointError, np.linalg.LinAlgError):  # pragma: no cover
        notes.append("starting values: model defaults (individual fits failed)")
    if "medians" not in notes[-1]:
        p0 = model.parameters[0]
        first = prob.y[:, 0][prob.valid[:, 0] & (prob.y[:, 0] > 0)]
        if p0.transform == "log" and first.size:
            # parameter 0 is the size at t = 0 in every size model: start at the median first
            start[0] = np.log(np.median(first))
    return start, notes


def _progress_fn(progress: Any, total: int) -> tuple[Callable[[int], None], Callable[[], None]]:
    if progress is None or progress is False:
        return (lambda k: None), (lambda: None)
    if callable(progress):
        return (lambda k: progress(k, total)), (lambda: None)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("SAEM"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                   TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    task = bar.add_task("saem", total=total)
    bar.start()
    return (lambda k: bar.update(task, completed=k)), bar.stop


def fit_population(
    model: str | Model,
    data: Any,
    *,
    random: Sequence[str] | None = None,
    omega: str = "diagonal",
    error: str = "proportional",
    covariates: Covariates | None = None,
    lloq: Any = None,
    exposure: Any = None,
    init: Mapping[str, float] | None = None,
    seed: int = 0,
    n_iter: int | tuple[int, int] = (300, 200),
    n_chains: int | None = None,
    n_posterior: int = 100,
    n_importance: int = 1000,
    progress: Any = None,
) -> PopulationFit:
    """Fit a nonlinear mixed-effects model to many series by SAEM.

    Parameters
    ----------
    model : name or Model
        Any registered model (closed forms are fastest; ODE models work, slowly).
    data : SeriesBatch
        Series as padded arrays (times in days, sizes in the data's unit, e.g. mm of SLD or of
        one lesion's diameter); build it with ``SeriesBatch.from_frame``. A reading is used
        when its time and value are finite; series without any such reading are left out and
        named in ``messages``.
    random : parameter names with a random effect (default: all). Parameters without one get
        phi_i = X_i beta (typical value with covariates) for every series.
    omega : "diagonal" or "full" covariance of the random effects (transformed scale).
    error : "proportional" (default), "additive" or "combined" residual error on the scale of
        the data (see :mod:`oncodyn.population._error`).
    covariates : :class:`Covariates` (values per series + which parameter each acts on).
    lloq : limit below which readings are censored, scalar or per reading (n_series,
        max_len). Rule (M3, Beal 2001): a reading y < lloq, zeros included, contributes
        P(Y < lloq) = Phi((lloq - f)/sd) instead of a density. ``None`` (default): no
        censoring, every finite reading, zero or not, is a Gaussian observation.
    exposure : model input (constant or one value per series) for exposure-driven models.
    init : natural-scale starting typical values; default: medians of individual fits
        (:func:`oncodyn.inference.fit`).
    seed : seed of the ``numpy.random.Generator`` behind every random step (same seed, same
        result).
    n_iter : (K1, K2) exploration and smoothing iterations, or a total split 60/40. Monolix
        and nlmixr2 defaults are of this size (nlmixr2: 200 + 300).
    n_chains : chains per series during SAEM (default: the smallest with N x chains >= 200).
    n_posterior : draws per series kept after SAEM for EBEs, -2LL and standard errors.
    n_importance : importance-sampling draws per series for -2LL.
    progress : None, True (rich bar on stderr) or a callable ``progress(done, total)``.

    Returns
    -------
    PopulationFit
        Typical values with standard errors, Omega, residual error, -2LL/AIC/BIC, shrinkage,
        EBEs and predictions, the convergence trace, status and messages. Research software:
        estimates describe the data fitted, they are not clinical predictions.
    """
    t_start = time.perf_counter()
    model = get_model(model)
    if error not in ERROR_KINDS:
        raise ConfigError(f"error must be one of {', '.join(ERROR_KINDS)}, got {error!r}")
    if omega not in ("diagonal", "full"):
        raise ConfigError(f"omega must be 'diagonal' or 'full', got {omega!r}")
    if isinstance(n_iter, int | np.integer):
        if n_iter < 10:
            raise ConfigError(f"n_iter must be at least 10, got {n_iter}")
        k1, k2 = int(round(0.6 * n_iter)), int(n_iter) - int(round(0.6 * n_iter))
    else:
        k1, k2 = (int(v) for v in n_iter)
        if k1 < 1 or k2 < 1:
            raise ConfigError(f"n_iter needs positive exploration and smoothing counts, "
                              f"got {n_iter}")
    names = model.param_names
    d = len(names)
    if random is None:
        random = names
    unknown = [r for r in random if r not in names]
    if unknown:
        raise ConfigError(f"random: unknown parameter(s) {unknown}; the model has "
                          f"{', '.join(names)}")
    is_random = np.array([nm in random for nm in names])
    rdims = np.flatnonzero(is_random)
    all_dims = np.arange(d)
    messages: list[str] = []

    full = Problem.from_batch(model, data, lloq=lloq, exposure=exposure)
    has_data = full.valid.any(axis=1)
    if not has_data.any():
        raise DataError("no series has a finite reading: nothing to fit")
    rows = np.flatnonzero(has_data)
    if rows.size < len(data):
        dropped = [data.ids[i] for i in np.flatnonzero(~has_data)]
        messages.append(f"{len(dropped)} series without a finite reading left out: "
                        f"{dropped[:5]}{' ...' if len(dropped) > 5 else ''}")
    n_missing = int(np.sum(data.mask & ~full.valid))
    if n_missing:
        messages.append(f"{n_missing} readings with a missing (non-finite) time or value not "
                        "used")
    if model.closed_form is None:
        messages.append(f"model {model.name!r} has no closed form: every MCMC step integrates "
                        "its ODE (slow; times must be >= 0)")
    prob = full.subset(rows)
    n = prob.n
    cov_values = covariates
    if covariates is not None and rows.size < len(data):
        cols = covariates.columns()
        cov_values = Covariates({k: v[rows] for k, v in cols.items()}, covariates.effects,
                                covariates.categorical, covariates.log)
    coding: Coding = build_coding(cov_values, names, n)
    xs = coding.design(cov_values.values if cov_values is not None else None, n)
    if n < 2 * d:
        messages.append(f"only {n} series for {d} parameters: estimates are fragile")

    rng = np.random.default_rng(seed)
    sub = data.subset(rows) if rows.size < len(data) else data
    start, notes = _initial(model, sub, prob, init)
    messages.extend(notes)
    beta = [np.r_[start[k], np.zeros(x.shape[1] - 1)] for k, x in enumerate(xs)]
    om = np.eye(d)
    yobs = prob.y[prob.valid]
    scale = float(np.median(np.abs(yobs))) if yobs.size else 1.0
    a0 = 0.2 * scale if error != "proportional" else 0.0
    b0 = 0.3 if error != "additive" else 0.0
    err = ErrorModel(error, a0, b0)

    c = n_chains if n_chains is not None else max(1, int(np.ceil(MIN_CHAIN_SERIES / n)))
    mean = _means(xs, beta)
    phi = np.broadcast_to(mean, (c, n, d)).copy()
    ll, _ = prob.loglik(phi, err)
    kernel = Kernel(step=np.full(d, 0.3))
    total = k1 + k2
    tick, done = _progress_fn(progress, total)
    s1 = np.zeros((n, d))
    s2 = np.zeros((d, d))
    s_err = np.array([err.a**2, err.b**2]) if error != "combined" else np.array([err.a, err.b])
    w_obs = np.broadcast_to(prob.valid / c, (c,) + prob.valid.shape)
    tr_theta = np.zeros((total, d))
    tr_omega = np.zeros((total, d))
    tr_err = np.zeros((total, 2))
    tr_ll = np.zeros(total)
    for _ in range(BURN):
        phi, ll = sweep(prob, phi, ll, np.broadcast_to(mean, phi.shape), om, all_dims, err,
                        kernel, rng, adapt=True)
    try:
        for it in range(total):
            if it % LAPLACE_EVERY == 0:
                kernel.laplace = laplace_proposal(prob, phi[0], mean, om, all_dims, err,
                                                  iters=6)
            phi, ll = sweep(prob, phi, ll, np.broadcast_to(mean, phi.shape), om, all_dims, err,
                            kernel, rng, adapt=True)
            f = prob.predict(phi)
            ycomp = impute_censored(prob.y, f, err.sd(f), prob.cens, prob.lloq, rng)
            gamma = 1.0 if it < k1 else 1.0 / (it - k1 + 1)
            s1 += gamma * (phi.mean(axis=0) - s1)
            s2 += gamma * (np.einsum("cni,cnj->ij", phi, phi) / c - s2)
            a_h, b_h = mstep_error(error, ycomp, f, w_obs, (err.a, err.b))
            stat = np.array([a_h**2, b_h**2]) if error != "combined" else np.array([a_h, b_h])
            if np.all(np.isfinite(stat)):
                s_err += gamma * (stat - s_err)
            # M-step
            beta = _gls(xs, s1, om)
            mean = _means(xs, beta)
            om_new = (s2 - s1.T @ mean - mean.T @ s1 + mean.T @ mean) / n
            om_new = 0.5 * (om_new + om_new.T)
            if omega == "diagonal":
                om_new = np.diag(np.diag(om_new))
            diag_new = np.clip(np.diag(om_new), 1e-10, None)
            diag_old = np.diag(om)
            if it < k1:
                diag_new = np.maximum(diag_new, ANNEAL * diag_old)
            diag_new = np.where(is_random, diag_new,
                                np.maximum(ANNEAL * diag_old, FIXED_FLOOR))
            sd_new = np.sqrt(np.clip(np.diag(om_new), 1e-10, None))
            corr = np.clip(om_new / np.outer(sd_new, sd_new), -0.99, 0.99)
            corr[~is_random, :] = 0.0
            corr[:, ~is_random] = 0.0
            np.fill_diagonal(corr, 1.0)
            om = corr * np.sqrt(np.outer(diag_new, diag_new))
            if error == "combined":
                a_new, b_new = float(s_err[0]), float(s_err[1])
            else:
                a_new, b_new = float(np.sqrt(s_err[0])), float(np.sqrt(s_err[1]))
            if it < k1:
                # exploration: the error sd may shrink by at most 2.5%/iteration (annealing)
                # and grow by at most 5%/iteration: a burst of huge residuals from chains not
                # yet fitted cannot inflate it in one step (a large proportional error makes
                # f -> 0 a degenerate optimum)
                a_new = min(max(a_new, np.sqrt(ANNEAL) * err.a), GROW * err.a)
                b_new = min(max(b_new, np.sqrt(ANNEAL) * err.b), GROW * err.b)
            err = ErrorModel(error, a_new, b_new)
            ll, _ = prob.loglik(phi, err)
            tr_theta[it] = tr.to_constrained(model, np.array([b[0] for b in beta]))
            tr_omega[it] = np.diag(om)
            tr_err[it] = (err.a, err.b)
            tr_ll[it] = float(ll.mean(axis=0).sum())
            tick(it + 1)
    finally:
        done()

    om_final = om.copy()
    om_final[~is_random, :] = 0.0
    om_final[:, ~is_random] = 0.0
    # --- conditional distributions at the estimates (fixed steps after a burn-in)
    c_post = max(c, 4)
    keep = max(1, int(np.ceil(n_posterior / c_post)))
    init_chains = phi[rng.integers(0, c, size=c_post)]
    init_chains[..., ~is_random] = mean[..., ~is_random]
    draws, kernel = sample_conditional(prob, mean, om_final, rdims, err, rng, n_chains=c_post,
                                       burn=10, n_keep=keep, start=init_chains, kernel=kernel)
    ebe_phi = map_from_draws(prob, draws, mean, om_final, rdims, err)
    eta = ebe_phi - mean
    shrink = np.full(d, np.nan)
    for k in rdims:
        shrink[k] = 1.0 - np.std(eta[:, k]) / np.sqrt(om_final[k, k])
    info = score_information(prob, draws, c_post, xs, beta, om_final, is_random, omega, err,
                             term_labels=[[t.label for t in coding.terms_of(k)]
                                          for k in range(d)])
    m2ll, m2ll_se = importance_minus2ll(prob, draws, mean, om_final, rdims, err, rng,
                                       n_draws=n_importance)
    messages.extend(info.messages)
    n_par = len(info.labels)
    n_obs = int(prob.valid.sum())
    status = "converged"
    if not np.all(np.isfinite(info.se)):
        status = "warning"
    if not np.isfinite(m2ll):
        status = "warning"
        messages.append("-2LL is not finite: the importance sampling found no plausible draw "
                        "for some series")
    small = [names[k] for k in rdims if om_final[k, k] < 1e-3]
    if small:
        messages.append(f"variance of the random effect of {', '.join(small)} is below 1e-3: "
                        "consider fitting without it (random=...)")
    trend = _drift_note(model, tr_theta[:k1], np.sqrt(np.diag(info.cov))[
        [info.labels.index(f"mu_{nm}") for nm in names]])
    if trend:
        status = "warning"
        messages.append(trend)
    ipred = prob.predict(ebe_phi)
    pred = prob.predict(mean)
    pad = lambda a, fill=np.nan: _scatter(a, rows, len(data), fill)  # noqa: E731
    ids = tuple(data.ids)
    return PopulationFit(
        model=model, ids=ids, used=has_data, random=tuple(bool(v) for v in is_random),
        omega_structure=omega, error=err, coding=coding,
        beta=tuple(np.asarray(b, float) for b in beta),
        omega=om_final, labels=info.labels, estimates=info.estimates, cov=info.cov,
        minus2ll=m2ll, minus2ll_se=m2ll_se, aic=m2ll + 2 * n_par, bic=m2ll + n_par * np.log(n),
        n_series=n, n_obs=n_obs, n_censored=int(prob.cens.sum()),
        shrinkage=shrink, ebe=pad(tr.to_constrained(model, ebe_phi)),
        cond_mean=pad(tr.to_constrained(model, draws.mean(axis=1))),
        pred=pad(pred), ipred=pad(ipred),
        trace=Trace(theta=tr_theta, omega=tr_omega, error=tr_err, loglik=tr_ll, k1=k1, k2=k2),
        status=status, messages=tuple(messages), seed=seed, n_chains=c,
        wall_s=time.perf_counter() - t_start, lloq=lloq, exposure=exposure,
        acceptance=dict(kernel.accept), steps=(tuple(kernel.step), kernel.block),
        typical=pad(mean), cov_robust=info.cov_robust,
    )


def _scatter(a: np.ndarray, rows: np.ndarray, n: int, fill: float) -> np.ndarray:
    out = np.full((n,) + a.shape[1:], fill)
    out[rows] = a
    return out


def _drift_note(model: Model, theta: np.ndarray, se: np.ndarray) -> str:
    """A note when the exploration phase still drifts at the scale of the statistical precision.

    On the transformed scale, the mean of each typical value over the last quarter of phase 1
    is compared with its mean over the quarter before; a change larger than the parameter's
    standard error means phase 1 was too short to reach the region of the estimate.
    """
    q = theta.shape[0] // 4
    if q < 5:
        return ""
    phi = tr.to_unconstrained(model, theta)
    drift = np.abs(phi[-q:].mean(axis=0) - phi[-2 * q:-q].mean(axis=0))
    names = model.param_names
    drifting = [nm for nm, dr, e in zip(names, drift, se, strict=True)
                if np.isfinite(e) and dr > e]
    if drifting:
        return (f"exploration phase still drifting for {', '.join(drifting)} (change between "
                "its last two quarters above one standard error): increase n_iter (first "
                "number)")
    return ""
