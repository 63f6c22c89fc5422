"""Goodness-of-fit numbers for a population fit (drawing lives in :mod:`oncodyn.plot.population`).

* :func:`residual_table`: one row per reading: observed, PRED (eta = 0), IPRED (EBE), IWRES
  and NPDE.
* NPDE, normalised prediction distribution errors (Brendel K, Comets E, Laffont C, Laveille C,
  Mentre F 2006, Pharm Res 23:2036; Comets E, Brendel K, Mentre F 2008, Comput Methods Programs
  Biomed 90:154): K data sets are simulated under the fitted model at each series' design; the
  observations and simulations of a series are decorrelated with the Cholesky factor of the
  simulated covariance; pde = share of decorrelated simulations below the decorrelated
  observation; npde = Phi^-1(pde), clipped to [1/(2K), 1 - 1/(2K)]. A censored reading is
  first replaced by a value whose pd is drawn uniformly below the pd of the limit (Nguyen THT,
  Comets E, Mentre F 2012, J Pharmacokinet Pharmacodyn 39:499). Under the model, npde ~ N(0, 1)
  independently.
* :func:`pcvpc`: prediction-corrected visual predictive check (Bergstrand M, Hooker AC, Wallin
  JE, Karlsson MO 2011, AAPS J 13:143): within each time bin, observations and simulations are
  multiplied by median(PRED in the bin) / PRED of the reading; the observed 10th, 50th and
  90th percentiles are compared with the 95% intervals of the same percentiles over simulated
  replicates. Censored readings (and simulated values below the limit) are left out of the
  percentiles; the censored fraction per bin is given beside its simulated interval.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtri

from ._mcmc import Problem, predict
from .results import PopulationFit


def simulate_replicates(fit: PopulationFit, batch: Any, n_rep: int, *, seed: int = 0,
                        noise: bool = True) -> np.ndarray:
    """(n_rep, n_series, max_len) readings simulated under the fit at the batch's design
    (new random effects and residual errors; covariates as fitted; no censoring applied)."""
    rng = np.random.default_rng(seed)
    used = np.asarray(fit.used, bool)
    m = np.where(used[:, None], fit.typical, 0.0)
    d = m.shape[1]
    r = np.flatnonzero(np.array(fit.random))
    phi = np.broadcast_to(m, (n_rep,) + m.shape).copy()
    if r.size:
        chol = np.linalg.cholesky(fit.omega[np.ix_(r, r)])
        phi[..., r] += rng.standard_normal((n_rep, m.shape[0], r.size)) @ chol.T
    t = np.where(batch.mask & np.isfinite(batch.t), batch.t, 0.0)
    f = predict(fit.model, phi.reshape(-1, d), np.tile(t, (n_rep, 1)),
                _tile_exposure(fit.exposure, n_rep)).reshape((n_rep,) + t.shape)
    return fit.error.sample(f, rng) if noise else f


def _tile_exposure(u: Any, n_rep: int) -> Any:
    if u is None or np.ndim(u) == 0:
        return u
    return np.tile(np.asarray(u, float), n_rep)


def npde(fit: PopulationFit, batch: Any, *, n_rep: int = 500, seed: int = 0) -> np.ndarray:
    """NPDE of every reading (n_series, max_len); NaN for padding and unused series."""
    rng = np.random.default_rng(seed + 1)
    prob = Problem.from_batch(fit.model, batch, lloq=fit.lloq, exposure=fit.exposure)
    sims = simulate_replicates(fit, batch, n_rep, seed=seed)        # (K, N, T)
    valid = prob.valid & np.asarray(fit.used, bool)[:, None]
    y = prob.y.copy()
    # censored: value with pd ~ U(0, pd(lloq)) from the simulated marginal distribution
    if prob.cens.any():
        pd_lim = np.mean(sims < prob.lloq[None], axis=0)
        u = rng.uniform(size=y.shape) * pd_lim
        imputed = _marg_q(sims, u)
        y = np.where(prob.cens, imputed, y)
    with np.errstate(all="ignore"):
        mean = sims.mean(axis=0)
        dev = np.where(valid[None], sims - mean[None], 0.0)
    n_t = y.shape[1]
    with np.errstate(all="ignore"):
        cov = np.einsum("kni,knj->nij", dev, dev) / (n_rep - 1)
        eye = np.eye(n_t)
        pad = ~valid
        cov = np.where(pad[:, :, None] | pad[:, None, :], 0.0, cov)
        scale = np.maximum(np.abs(cov).max(axis=(1, 2), keepdims=True), 1e-300)
        cov = cov + np.where(pad[:, :, None], eye[None], 0.0) + 1e-10 * eye[None] * scale
        # a series whose simulations overflow (explosive growth) gets no npde
        bad = ~np.all(np.isfinite(cov), axis=(1, 2))
        cov[bad] = eye
        chol = np.linalg.cholesky(cov)
        ydev = np.where(valid, y - mean, 0.0)
        obs_dec = np.linalg.solve(chol, ydev[..., None])[..., 0]      # (N, T)
        sim_dec = np.linalg.solve(chol[None], dev[..., None])[..., 0]  # (K, N, T)
    valid = valid & ~bad[:, None]
    pde = np.mean(sim_dec < obs_dec[None], axis=0)
    pde = np.clip(pde, 1 / (2 * n_rep), 1 - 1 / (2 * n_rep))
    return np.where(valid, ndtri(pde), np.nan)


def _marg_q(sims: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Per-reading quantile u[n, t] of the simulated values sims[:, n, t]."""
    s = np.sort(sims, axis=0)
    k = np.clip((u * (s.shape[0] - 1)).round().astype(int), 0, s.shape[0] - 1)
    return np.take_along_axis(s, k[None], axis=0)[0]


def residual_table(fit: PopulationFit, batch: Any, *, n_rep: int = 500, seed: int = 0) -> Any:
    """Long table (one row per used reading): id, time, observed, censored, pred, ipred,
    iwres = (obs - ipred)/sd(ipred), npde."""
    import pandas as pd

    prob = Problem.from_batch(fit.model, batch, lloq=fit.lloq, exposure=fit.exposure)
    valid = prob.valid & np.asarray(fit.used, bool)[:, None]
    nd = npde(fit, batch, n_rep=n_rep, seed=seed)
    with np.errstate(all="ignore"):
        iwres = (prob.y - fit.ipred) / fit.error.sd(fit.ipred)
    rows, cols = np.nonzero(valid)
    return pd.DataFrame({
        "id": [batch.ids[i] for i in rows], "time": prob.t[rows, cols],
        "observed": prob.y[rows, cols], "censored": prob.cens[rows, cols],
        "pred": fit.pred[rows, cols], "ipred": fit.ipred[rows, cols],
        "iwres": np.where(prob.cens[rows, cols], np.nan, iwres[rows, cols]),
        "npde": nd[rows, cols]})


@dataclass(frozen=True)
class VPC:
    """Prediction-corrected VPC numbers, one entry per time bin.

    ``observed`` (B, 3): observed 10th/50th/90th percentiles of pc-observations; ``sim_lo``,
    ``sim_mid``, ``sim_hi`` (B, 3): 2.5%, 50%, 97.5% over replicates of the same simulated
    percentiles; ``cens_observed`` (B,) and ``cens_sim`` (B, 3): censored fraction.
    """

    edges: np.ndarray
    centers: np.ndarray
    n_obs: np.ndarray
    percentiles: tuple[float, ...]
    observed: np.ndarray
    sim_lo: np.ndarray
    sim_mid: np.ndarray
    sim_hi: np.ndarray
    cens_observed: np.ndarray
    cens_sim: np.ndarray
    n_rep: int

    def outside(self) -> int:
        """Number of observed percentiles outside their simulated 95% interval."""
        ok = np.isfinite(self.observed)
        return int(np.sum(ok & ((self.observed < self.sim_lo) | (self.observed > self.sim_hi))))


def pcvpc(fit: PopulationFit, batch: Any, *, bins: int | np.ndarray = 8, n_rep: int = 200,
          percentiles: tuple[float, ...] = (10.0, 50.0, 90.0), seed: int = 0) -> VPC:
    """Prediction-corrected VPC (module docstring). ``bins``: a count (equal-count bins of the
    used readings' times) or the bin edges (days)."""
    prob = Problem.from_batch(fit.model, batch, lloq=fit.lloq, exposure=fit.exposure)
    valid = prob.valid & np.asarray(fit.used, bool)[:, None]
    t = prob.t[valid]
    if np.ndim(bins) == 0:
        edges = np.unique(np.quantile(t, np.linspace(0, 1, int(bins) + 1)))
    else:
        edges = np.asarray(bins, float)
    which = np.clip(np.searchsorted(edges, prob.t, side="right") - 1, 0, len(edges) - 2)
    pred = fit.pred
    sims = simulate_replicates(fit, batch, n_rep, seed=seed)
    b = len(edges) - 1
    q = np.asarray(percentiles, float)
    obs_p = np.full((b, q.size), np.nan)
    lo, mid, hi = (np.full((b, q.size), np.nan) for _ in range(3))
    cens_o, cens_s = np.full(b, np.nan), np.full((b, 3), np.nan)
    n_obs = np.zeros(b, int)
    for k in range(b):
        sel = valid & (which == k)
        n_obs[k] = int(sel.sum())
        if not sel.any():
            continue
        pr = pred[sel]
        corr = np.median(pr) / pr
        yo = prob.y[sel]
        co = prob.cens[sel]
        cens_o[k] = float(co.mean())
        if (~co).any():
            obs_p[k] = np.percentile((yo * corr)[~co], q)
        ys = sims[:, sel]                                          # (K, n_k)
        below = ys < prob.lloq[sel][None]
        frac = below.mean(axis=1)
        cens_s[k] = np.percentile(frac, [2.5, 50, 97.5])
        pcs = np.where(below, np.nan, ys * corr[None])
        with np.errstate(all="ignore"), warnings.catch_warnings():
            # a replicate with every value below the limit has no percentile (NaN, skipped)
            warnings.simplefilter("ignore", RuntimeWarning)
            sp = np.nanpercentile(pcs, q, axis=1).T                    # (K, q)
            lo[k], mid[k], hi[k] = np.nanpercentile(sp, [2.5, 50, 97.5], axis=0)
    centers = np.array([np.median(prob.t[valid & (which == k)]) if n_obs[k] else np.nan
                        for k in range(b)])
    return VPC(edges, centers, n_obs, tuple(q.tolist()), obs_p, lo, mid, hi, cens_o, cens_s,
               n_rep)
