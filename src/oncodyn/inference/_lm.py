"""Levenberg–Marquardt vectorised across independent least-squares problems.

Each row of ``theta`` is its own problem (one series, one start); rows share nothing but the
NumPy calls, so a batch of thousands of small fits costs a few hundred array operations instead of
thousands of Python-level optimiser runs. The algorithm is the classic damped Gauss–Newton of
Levenberg (1944) and Marquardt (1963, SIAM J Appl Math 11:431) with Marquardt's diagonal scaling
and the gain-ratio damping update of Nielsen (1999, IMM-REP-1999-05); Jacobians by forward differences (Nocedal & Wright 2006, §8.1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

ResidualFn = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``residual(theta[rows], rows) -> r`` of shape (len(rows), n_points); NaN = no point."""


@dataclass(frozen=True)
class LMResult:
    theta: np.ndarray       # (B, P)
    loss: np.ndarray        # (B,) sum of squared residuals (inf when never finite)
    n_iter: np.ndarray      # (B,)
    converged: np.ndarray   # (B,) bool
    jac: np.ndarray         # (B, T, P) Jacobian at the solution (NaN-free; padded rows 0)
    residual: np.ndarray    # (B, T) residuals at the solution (padding 0)


def _loss(r: np.ndarray) -> np.ndarray:
    """Sum of squares of residuals already zeroed outside the data; inf where one is not finite."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.einsum("bt,bt->b", r, r)
    out[~np.isfinite(out)] = np.inf
    return out


def _jacobian(fun: ResidualFn, theta: np.ndarray, rows: np.ndarray, r0: np.ndarray,
              valid: np.ndarray, rel_step: float) -> np.ndarray:
    b, p = theta.shape
    h = rel_step * (1.0 + np.abs(theta))                          # (b, p)
    stacked = np.repeat(theta[None, :, :], p, axis=0)             # (p, b, p)
    idx = np.arange(p)
    stacked[idx, :, idx] += h.T
    r = fun(stacked.reshape(p * b, p), np.tile(rows, p)).reshape(p, b, -1)
    jac = (r - r0[None]) / h.T[:, :, None]                        # (p, b, T)
    jac = np.where(valid[None] & np.isfinite(jac), jac, 0.0)
    return np.moveaxis(jac, 0, 2)                                 # (b, T, p)


def batched_lm(fun: ResidualFn, theta0: np.ndarray, valid: np.ndarray, *, max_iter: int = 200,
               ftol: float = 1e-8, xtol: float = 1e-8, rel_step: float = 1e-7,
               mu0: float = 1e-3, lower: np.ndarray | None = None,
               upper: np.ndarray | None = None,
               jac_fun: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
               loss_floor: np.ndarray | None = None, return_jac: bool = True) -> LMResult:
    """Minimise ``sum(r**2)`` independently for each row of ``theta0``.

    Parameters
    ----------
    fun : residual function, see :data:`ResidualFn`.
    theta0 : (B, P) starting points (unconstrained scale).
    valid : (B, T) bool, which residual entries are data points.
    max_iter : int, iterations (Jacobian evaluations) at most.
    return_jac : compute the Jacobian at the final point (``LMResult.jac``; shape (B, 0, P)
        otherwise).
    loss_floor : optional (B,) losses at or below which a row counts as an exact fit (stops
        the slow asymptotic crawl of zero-residual problems, e.g. n_points <= n_params).
    jac_fun : optional analytic Jacobian ``jac_fun(theta[rows], rows) -> (len(rows), T, P)``;
        forward differences otherwise.
    lower, upper : optional (P,) bounds on theta; steps are projected onto the box (a projected
        Levenberg–Marquardt step, Kanzow, Yamashita & Fukushima 2004, J Comput Appl Math 172:375).
    ftol, xtol : relative loss decrease and relative step size that count as convergence
        (the same defaults and meaning as ``scipy.optimize.least_squares``).
    """
    theta = np.array(theta0, dtype=float, copy=True)
    lo_b = np.full(theta.shape[1], -np.inf) if lower is None else np.asarray(lower, float)
    hi_b = np.full(theta.shape[1], np.inf) if upper is None else np.asarray(upper, float)
    if lower is not None or upper is not None:
        theta = np.clip(theta, lo_b, hi_b)
    b, p = theta.shape
    all_rows = np.arange(b)
    r = fun(theta, all_rows)
    r = np.where(valid, r, 0.0)
    loss = _loss(r)
    mu = np.full(b, mu0)
    nu = np.full(b, 2.0)
    n_iter = np.zeros(b, dtype=int)
    converged = np.zeros(b, dtype=bool)
    active = np.isfinite(loss)
    # normal equations J^T J and J^T r, refreshed only when a row's Jacobian is (after an
    # accepted step); rejected steps re-use them with a larger damping
    ata = np.zeros((b, p, p))
    atr = np.zeros((b, p))
    need_jac = np.ones(b, dtype=bool)
    eye = np.eye(p)

    def _jac(rows: np.ndarray) -> np.ndarray:
        if jac_fun is None:
            return _jacobian(fun, theta[rows], rows, r[rows], valid[rows], rel_step)
        J = np.asarray(jac_fun(theta[rows], rows), float)
        return np.where(valid[rows][:, :, None] & np.isfinite(J), J, 0.0)

    for _ in range(max_iter):
        rows = np.flatnonzero(active)
        if rows.size == 0:
            break
        upd = rows[need_jac[rows]]
        if upd.size:
            Ju = _jac(upd)
            Jt = Ju.transpose(0, 2, 1)
            ata[upd] = Jt @ Ju
            atr[upd] = (Jt @ r[upd][:, :, None])[:, :, 0]
            need_jac[upd] = False
            n_iter[upd] += 1
        A = ata[rows]
        g = atr[rows]
        d = np.diagonal(A, axis1=1, axis2=2)
        scale = np.maximum(d, 1e-12 * (np.max(d, axis=1, keepdims=True) + 1e-300))
        with np.errstate(over="ignore", invalid="ignore"):
            M = A + (mu[rows, None] * scale)[:, :, None] * eye[None]
        M = np.where(np.isfinite(M), M, 0.0) + 1e-300 * eye[None]
        try:
            step = -np.linalg.solve(M, g[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            step = -np.stack([np.linalg.lstsq(m, gg, rcond=None)[0] for m, gg in zip(M, g, strict=True)])
        step = np.where(np.isfinite(step), step, 0.0)
        if lower is not None or upper is not None:
            # active set: a parameter on a bound whose step points outward is frozen for this
            # step and the normal equations are solved for the others (a projected step alone
            # distorts the direction and stalls LM at the bound)
            th = theta[rows]
            blocked = (((th <= lo_b + 1e-12) & (step < 0)) | ((th >= hi_b - 1e-12) & (step > 0)))
            redo = np.flatnonzero(blocked.any(axis=1))
            if redo.size:
                keep = ~blocked[redo]
                Mr = M[redo] * (keep[:, :, None] & keep[:, None, :]) + (~keep)[:, :, None] * eye[None]
                gr = np.where(keep, g[redo], 0.0)
                try:
                    sr = -np.linalg.solve(Mr, gr[:, :, None])[:, :, 0]
                except np.linalg.LinAlgError:
                    sr = np.zeros_like(gr)
                step[redo] = np.where(np.isfinite(sr) & keep, sr, 0.0)
            th_new = np.clip(th + step, lo_b, hi_b)
            step = th_new - th
        else:
            th_new = theta[rows] + step
        r_new = np.where(valid[rows], fun(th_new, rows), 0.0)
        loss_new = _loss(r_new)
        old = loss[rows]
        accept = np.isfinite(loss_new) & (loss_new < old)
        acc_rows = rows[accept]
        theta[acc_rows] = th_new[accept]
        r[acc_rows] = r_new[accept]
        loss[acc_rows] = loss_new[accept]
        need_jac[acc_rows] = True
        # gain ratio rho = actual / predicted reduction (Nielsen 1999 damping update)
        pred = -(2.0 * np.sum(step * g, axis=1)
                 + np.sum(step * (A @ step[:, :, None])[:, :, 0], axis=1))
        with np.errstate(all="ignore"):
            rho = np.where(pred > 0, (old - loss_new) / np.where(pred > 0, pred, 1.0), 0.0)
        fac = np.maximum(1.0 / 3.0, 1.0 - (2.0 * rho[accept] - 1.0) ** 3)
        mu[acc_rows] = np.maximum(mu[acc_rows] * fac, 1e-15)
        nu[acc_rows] = 2.0
        rej_rows = rows[~accept]
        mu[rej_rows] = mu[rej_rows] * nu[rej_rows]
        nu[rej_rows] = nu[rej_rows] * 2.0
        small_f = accept & ((old - loss_new) <= ftol * old)
        small_x = accept & (np.linalg.norm(step, axis=1)
                            <= xtol * (np.linalg.norm(theta[rows], axis=1) + xtol))
        grad_small = np.max(np.abs(g), axis=1) <= 1e-14 * (old + 1e-300)
        zero_loss = loss[rows] <= (0.0 if loss_floor is None else loss_floor[rows])
        done = small_f | small_x | grad_small | zero_loss | (mu[rows] > 1e12)
        converged[rows[done & (mu[rows] <= 1e12)]] = True
        converged[rows[done & (mu[rows] > 1e12)]] = True  # no descent direction left: a minimum
        active[rows[done]] = False
        n_iter_cap = n_iter[rows] >= max_iter
        active[rows[n_iter_cap]] = False
    jac = np.zeros((b, r.shape[1] if return_jac else 0, p))
    if return_jac:  # the Jacobian at the final point of every row (for uncertainty)
        done_rows = np.flatnonzero(np.isfinite(loss))
        if done_rows.size:
            jac[done_rows] = _jac(done_rows)
    return LMResult(theta, loss, n_iter, converged & np.isfinite(loss), jac, r)
