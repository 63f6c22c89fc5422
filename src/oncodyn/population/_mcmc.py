"""The conditional distribution p(phi_i | y_i; theta) and the Metropolis-Hastings kernels that
sample it, vectorised across all series and chains at once.

The kernels are those of SAEM-MCMC (Kuhn E, Lavielle M 2004, ESAIM P&S 8:115; Kuhn & Lavielle
2005, Comput Stat Data Anal 49:1020; the Monolix defaults):

1. independent proposal from the population distribution N(m_i, Omega) (the acceptance ratio is
   the likelihood ratio);
2. one-dimensional Gaussian random walks, one component at a time;
3. a block Gaussian random walk phi + delta L z with L L^T = Omega;
4. (when set) an independent Student-t proposal centred on a Laplace approximation of each
   p(phi_i | y_i) (mode and inverse negative Hessian), the idea of Monolix's fourth kernel: it
   follows the posterior's correlations (e.g. between growth and shrinkage rates), which the
   axis-wise and prior-shaped random walks do not, and so cuts the Monte Carlo error of SAEM.

Step sizes of kernels 2 and 3 adapt towards an acceptance rate of 0.4 (delta <- delta (1 +
0.4 (rate - 0.4)), the Monolix rule) while ``adapt`` is on, and are frozen when the chain is used
for sampling (posterior draws). Arrays: ``phi`` (C, N, d) = chains x series x parameters on the
transformed scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..inference import _transform as tr
from ..models import Model
from ._error import ErrorModel, obs_loglik


@dataclass(frozen=True)
class Problem:
    """The data of a population problem as padded arrays (series x readings)."""

    model: Model
    t: np.ndarray            # (N, T), 0 where not valid
    y: np.ndarray            # (N, T), 0 where not valid
    valid: np.ndarray        # (N, T) bool
    cens: np.ndarray         # (N, T) bool, valid & below lloq
    lloq: np.ndarray         # (N, T) limit (inf where none)
    exposure: Any = None     # None, scalar or (N,)

    @property
    def n(self) -> int:
        return self.t.shape[0]

    def predict(self, phi: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        """Model prediction (…, N, T) for transformed parameters ``phi`` (…, N, d)."""
        t = self.t if t is None else t
        return predict(self.model, phi, t, self.exposure)

    @classmethod
    def from_batch(cls, model: Model, batch: Any, *, lloq: Any = None,
                   exposure: Any = None) -> Problem:
        """Arrays of a :class:`~oncodyn.inference.SeriesBatch`: a reading is used when its time
        and value are finite; with ``lloq``, readings below it (zeros included) are censored."""
        valid = batch.mask & np.isfinite(batch.t) & np.isfinite(batch.y)
        t = np.where(valid, batch.t, 0.0)
        y = np.where(valid, batch.y, 0.0)
        if lloq is None:
            lim = np.full(y.shape, -np.inf)
        else:
            lim = np.broadcast_to(np.asarray(lloq, float), y.shape).copy()
        cens = valid & (y < lim)
        if exposure is not None and np.ndim(exposure) > 0:
            exposure = np.asarray(exposure, float)
            if exposure.shape != (len(t),):
                raise ValueError(f"exposure must be a scalar or one value per series "
                                 f"({len(t)}), got shape {exposure.shape}")
        return cls(model, t, y, valid, cens, lim, exposure)

    def subset(self, rows: np.ndarray) -> Problem:
        u = self.exposure
        if u is not None and np.ndim(u) > 0:
            u = np.asarray(u)[rows]
        return Problem(self.model, self.t[rows], self.y[rows], self.valid[rows],
                       self.cens[rows], self.lloq[rows], u)

    def loglik(self, phi: np.ndarray, err: ErrorModel) -> tuple[np.ndarray, np.ndarray]:
        """log p(y_i | phi_i) per series (…, N), and the predictions."""
        f = self.predict(phi)
        ll = obs_loglik(self.y, f, err.sd(f), self.valid, self.cens, self.lloq)
        return ll.sum(axis=-1), f


def predict(model: Model, phi: np.ndarray, t: np.ndarray, exposure: Any = None) -> np.ndarray:
    """Sizes at times ``t`` (N, T) for transformed parameters ``phi`` (…, N, d) -> (…, N, T)."""
    lead = phi.shape[:-1]
    d = phi.shape[-1]
    p = tr.to_constrained(model, phi.reshape(-1, d))
    tt = np.broadcast_to(t, lead + t.shape[-1:]).reshape(-1, t.shape[-1])
    u: Any = 0.0
    if exposure is not None:
        u = exposure
        if np.ndim(exposure) > 0:
            u = np.broadcast_to(np.asarray(exposure, float), lead).reshape(-1)
    with np.errstate(all="ignore"):
        if model.closed_form is not None:
            f = np.asarray(model.closed_form(tt, p, u, np), float)
        else:
            f = np.asarray(model.predict(tt, p, exposure=u, method="ode"), float)
    return f.reshape(lead + t.shape[-1:])


@dataclass
class Kernel:
    """Mutable step sizes of the random-walk kernels (private to one sampling run)."""

    step: np.ndarray                  # (d,) kernel-2 steps on the transformed scale
    block: float = 0.4                # kernel-3 scale relative to chol(Omega)
    counts: tuple[int, int, int] = (2, 2, 2)
    accept: dict[str, float] = field(default_factory=dict)
    laplace: Any = None               # (centre (N, d), chol (N, k, k)) of kernel 4, or None


def _prior_quad(diff: np.ndarray, omega_inv: np.ndarray) -> np.ndarray:
    return np.einsum("...i,ij,...j->...", diff, omega_inv, diff)


def sweep(prob: Problem, phi: np.ndarray, ll: np.ndarray, mean: np.ndarray, omega: np.ndarray,
          dims: np.ndarray, err: ErrorModel, kernel: Kernel, rng: np.random.Generator, *,
          adapt: bool) -> tuple[np.ndarray, np.ndarray]:
    """One pass of kernels 1, 2, 3 over all chains and series.

    ``mean`` (…, N, d) is the population mean m_i (with covariates); the dimensions ``dims``
    are sampled with prior N(m_i[dims], omega[dims, dims]); the others are held at m_i.
    Returns the new (phi, ll).
    """
    phi = phi.copy()
    if dims.size == 0:
        return phi, ll
    om = omega[np.ix_(dims, dims)]
    chol = np.linalg.cholesky(om)
    om_inv = np.linalg.inv(om)
    shape = phi.shape[:-1]
    k = dims.size

    def prior(p: np.ndarray) -> np.ndarray:
        return -0.5 * _prior_quad(p[..., dims] - mean[..., dims], om_inv)

    def accept(prop: np.ndarray, log_ratio: np.ndarray, ll_new: np.ndarray) -> np.ndarray:
        ok = np.log(rng.uniform(size=shape)) < np.where(np.isfinite(log_ratio), log_ratio,
                                                        -np.inf)
        phi[ok] = prop[ok]
        ll[ok] = ll_new[ok]
        return ok

    n1, n2, n3 = kernel.counts
    for _ in range(n1):
        prop = phi.copy()
        prop[..., dims] = mean[..., dims] + rng.standard_normal(shape + (k,)) @ chol.T
        ll_new, _ = prob.loglik(prop, err)
        ok = accept(prop, ll_new - ll, ll_new)
        kernel.accept["k1"] = float(ok.mean())
    lp = prior(phi)
    for _ in range(n2):
        rates = np.zeros(k)
        for j, dim in enumerate(dims):
            prop = phi.copy()
            prop[..., dim] += kernel.step[dim] * rng.standard_normal(shape)
            ll_new, _ = prob.loglik(prop, err)
            lp_new = prior(prop)
            ok = accept(prop, ll_new + lp_new - ll - lp, ll_new)
            lp = np.where(ok, lp_new, lp)
            rates[j] = ok.mean()
            if adapt:
                kernel.step[dim] *= 1.0 + 0.4 * (rates[j] - 0.4)
        kernel.accept["k2"] = float(rates.mean())
    for _ in range(n3):
        prop = phi.copy()
        prop[..., dims] += kernel.block * (rng.standard_normal(shape + (k,)) @ chol.T)
        ll_new, _ = prob.loglik(prop, err)
        lp_new = prior(prop)
        ok = accept(prop, ll_new + lp_new - ll - lp, ll_new)
        lp = np.where(ok, lp_new, lp)
        rate = float(ok.mean())
        kernel.accept["k3"] = rate
        if adapt:
            kernel.block *= 1.0 + 0.4 * (rate - 0.4)
    if kernel.laplace is not None:
        centre, lchol = kernel.laplace
        lp = prior(phi)
        z = rng.standard_normal(shape + (k,))
        w = np.sqrt(LAPLACE_NU / rng.chisquare(LAPLACE_NU, size=shape + (1,)))
        prop = phi.copy()
        prop[..., dims] = centre[..., dims] + np.einsum("nab,...nb->...na", lchol, z * w)
        ll_new, _ = prob.loglik(prop, err)
        lp_new = prior(prop)
        log_q = _t_logq(prop[..., dims] - centre[..., dims], lchol)
        log_q_cur = _t_logq(phi[..., dims] - centre[..., dims], lchol)
        with np.errstate(invalid="ignore", over="ignore"):  # -inf - -inf: rejected below
            log_ratio = ll_new + lp_new - ll - lp + log_q_cur - log_q
        ok = accept(prop, log_ratio, ll_new)
        kernel.accept["k4"] = float(ok.mean())
    return phi, ll


LAPLACE_NU = 5.0
"""Degrees of freedom of the kernel-4 Student-t proposal (heavier tails than the Laplace
approximation it is centred on, so the independence sampler stays geometrically ergodic)."""


def _t_logq(x: np.ndarray, lchol: np.ndarray) -> np.ndarray:
    """log density (up to a constant shared by all points of a series) of a multivariate t
    with scale L L^T at offsets ``x`` (…, N, k)."""
    sol = np.linalg.solve(lchol, x.reshape(-1, *x.shape[-2:]).transpose(1, 2, 0))  # (N, k, B)
    quad = np.sum(sol**2, axis=1).T.reshape(x.shape[:-1])
    k = x.shape[-1]
    return -0.5 * (LAPLACE_NU + k) * np.log1p(quad / LAPLACE_NU)


def log_posterior(prob: Problem, phi: np.ndarray, mean: np.ndarray, omega: np.ndarray,
                  dims: np.ndarray, err: ErrorModel) -> np.ndarray:
    """log p(y_i | phi_i) + log p(phi_i) up to a constant, per series (…, N)."""
    ll, _ = prob.loglik(phi, err)
    if dims.size == 0:
        return ll
    om_inv = np.linalg.inv(omega[np.ix_(dims, dims)])
    return ll - 0.5 * _prior_quad(phi[..., dims] - mean[..., dims], om_inv)


def _grad_hess(prob: Problem, phi: np.ndarray, mean: np.ndarray, omega: np.ndarray,
               dims: np.ndarray, err: ErrorModel, h: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log posterior, its gradient and Hessian over ``dims`` (central differences), per row."""
    k = dims.size
    n = phi.shape[0]
    f0 = log_posterior(prob, phi, mean, omega, dims, err)
    g = np.zeros((n, k))
    hess = np.zeros((n, k, k))
    fp = np.zeros((n, k))
    fm = np.zeros((n, k))
    for a in range(k):
        e = np.zeros(phi.shape[-1])
        e[dims[a]] = h
        fp[:, a] = log_posterior(prob, phi + e, mean, omega, dims, err)
        fm[:, a] = log_posterior(prob, phi - e, mean, omega, dims, err)
        with np.errstate(invalid="ignore", over="ignore"):  # non-finite rows: unused
            g[:, a] = (fp[:, a] - fm[:, a]) / (2 * h)
            hess[:, a, a] = (fp[:, a] - 2 * f0 + fm[:, a]) / h**2
    for a in range(k):
        for b in range(a + 1, k):
            e = np.zeros(phi.shape[-1])
            e[dims[a]] = h
            e[dims[b]] = h
            fpp = log_posterior(prob, phi + e, mean, omega, dims, err)
            fmm = log_posterior(prob, phi - e, mean, omega, dims, err)
            with np.errstate(invalid="ignore", over="ignore"):  # non-finite rows: unused
                v = (fpp - fp[:, a] - fp[:, b] + 2 * f0 - fm[:, a] - fm[:, b] + fmm) / (2 * h**2)
            hess[:, a, b] = hess[:, b, a] = v
    return f0, g, hess


def conditional_mode(prob: Problem, start: np.ndarray, mean: np.ndarray, omega: np.ndarray,
                     dims: np.ndarray, err: ErrorModel, *, iters: int = 30,
                     h: float = 1e-4) -> np.ndarray:
    """Maximum a posteriori phi_i per series (N, d): damped Newton steps on the sampled
    dimensions with central finite-difference derivatives, vectorised across series; a step
    is kept only where it increases the log posterior (so the result is never worse than the
    start, e.g. the best MCMC draw)."""
    phi = start.copy()
    k = dims.size
    if k == 0:
        return phi
    lam = np.full(phi.shape[0], 1e-3)
    eye = np.eye(k)
    for _ in range(iters):
        f0, g, hess = _grad_hess(prob, phi, mean, omega, dims, err, h)
        ok_rows = np.all(np.isfinite(g), axis=1) & np.all(np.isfinite(hess), axis=(1, 2))
        neg = -np.where(ok_rows[:, None, None], hess, eye)
        # Levenberg damping keeps the system positive definite
        w, _ = np.linalg.eigh(neg)
        shift = np.maximum(0.0, -w[:, 0]) + lam * np.maximum(1.0, np.abs(w).max(axis=1))
        sys = neg + shift[:, None, None] * eye
        delta = np.linalg.solve(sys, np.where(ok_rows[:, None], g, 0.0)[..., None])[..., 0]
        delta = np.clip(delta, -2.0, 2.0)
        cand = phi.copy()
        cand[:, dims] += delta
        f1 = log_posterior(prob, cand, mean, omega, dims, err)
        better = ok_rows & np.isfinite(f1) & (f1 > f0)
        phi[better] = cand[better]
        with np.errstate(invalid="ignore"):
            improved = np.where(better, f1 - f0, 0.0)
        lam = np.where(better, lam * 0.3, lam * 10.0)
        if not np.any(improved > 1e-9):
            break
    return phi


def laplace_proposal(prob: Problem, start: np.ndarray, mean: np.ndarray, omega: np.ndarray,
                     dims: np.ndarray, err: ErrorModel, *, iters: int = 8
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Centre (N, d) and Cholesky factor (N, k, k) of a Laplace approximation of each
    p(phi_i | y_i): a few Newton steps from ``start``, covariance = inverse negative Hessian
    there (eigenvalues floored at 1e-3 of the population variance, capped at 4 times it, so
    the proposal is never degenerate nor wider than a few prior widths)."""
    mode = conditional_mode(prob, start, mean, omega, dims, err, iters=iters)
    _, _, hess = _grad_hess(prob, mode, mean, omega, dims, err, 1e-4)
    om = omega[np.ix_(dims, dims)]
    om_inv = np.linalg.inv(om)
    neg = -hess
    bad = ~np.all(np.isfinite(neg), axis=(1, 2))
    neg[bad] = om_inv
    w, v = np.linalg.eigh(0.5 * (neg + neg.transpose(0, 2, 1)))
    top = float(np.max(np.diag(om)))
    low = float(np.min(np.diag(om)))
    var = np.clip(1.0 / np.maximum(w, 1e-300), 1e-3 * low, 4.0 * top)
    cov = np.einsum("nab,nb,ncb->nac", v, var, v)
    return mode, np.linalg.cholesky(cov)
