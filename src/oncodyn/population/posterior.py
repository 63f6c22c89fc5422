"""Posterior of individual parameters given population estimates: p(psi_i | y_i, theta, Omega,
sigma), for the fitted series (EBEs) and for NEW series (forecasting from a few scans).

The posterior of series i is proportional to p(y_i | phi_i; sigma) N(phi_i; m_i, Omega), with
phi = h(psi) the transformed parameters (log / logit) and m_i the typical value with
covariates. It is sampled with the SAEM Metropolis-Hastings kernels (:mod:`._mcmc`), several
chains per series run in parallel (vectorised across series and chains); the MAP (conditional
mode) is found by damped Newton steps started from the best draw.

oncodyn is research and teaching software, not a clinical decision tool: these draws describe a
statistical model fitted to trial data, not a prognosis for a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..inference import _transform as tr
from ..models import Model
from ._error import ErrorModel
from ._mcmc import Kernel, Problem, conditional_mode, laplace_proposal, predict, sweep


def sample_conditional(prob: Problem, mean: np.ndarray, omega: np.ndarray, dims: np.ndarray,
                       err: ErrorModel, rng: np.random.Generator, *, n_chains: int, burn: int,
                       n_keep: int, thin: int = 1, start: np.ndarray | None = None,
                       kernel: Kernel | None = None) -> tuple[np.ndarray, Kernel]:
    """Draws of phi_i (N, n_chains * n_keep, d) from p(phi_i | y_i) by MH.

    Step sizes adapt during the ``burn`` sweeps only, then stay fixed (a valid Markov chain);
    halfway through the burn-in the Laplace proposal (kernel 4) is set from chain 0's state.
    Chains start at ``start`` (C, N, d) or at independent draws from N(m_i, Omega).
    """
    n, d = mean.shape
    if start is None:
        phi = np.broadcast_to(mean, (n_chains, n, d)).copy()
        if dims.size:
            chol = np.linalg.cholesky(omega[np.ix_(dims, dims)])
            phi[..., dims] += rng.standard_normal((n_chains, n, dims.size)) @ chol.T
    else:
        phi = np.array(start, float, copy=True)
    if kernel is None:
        steps = np.sqrt(np.clip(np.diag(omega), 1e-12, None)) * 0.5
        kernel = Kernel(step=steps.copy())
    kernel.laplace = None  # built below for these parameters and dimensions
    ll, _ = prob.loglik(phi, err)
    half = burn // 2
    for _ in range(half):
        phi, ll = sweep(prob, phi, ll, mean, omega, dims, err, kernel, rng, adapt=True)
    if dims.size:
        # kernel 4 (Laplace-centred independence proposal) at these parameters, then fixed
        kernel.laplace = laplace_proposal(prob, phi[0], mean, omega, dims, err, iters=10)
    for _ in range(burn - half):
        phi, ll = sweep(prob, phi, ll, mean, omega, dims, err, kernel, rng, adapt=True)
    out = np.empty((n_keep, n_chains, n, d))
    for k in range(n_keep):
        for _ in range(thin):
            phi, ll = sweep(prob, phi, ll, mean, omega, dims, err, kernel, rng, adapt=False)
        out[k] = phi
    return out.reshape(n_keep * n_chains, n, d).transpose(1, 0, 2), kernel


def map_from_draws(prob: Problem, draws: np.ndarray, mean: np.ndarray, omega: np.ndarray,
                   dims: np.ndarray, err: ErrorModel) -> np.ndarray:
    """Conditional mode per series (N, d), refined from the draw of highest posterior."""
    from ._mcmc import log_posterior

    lp = log_posterior(prob, draws.transpose(1, 0, 2), mean, omega, dims, err)  # (M, N)
    lp = np.where(np.isfinite(lp), lp, -np.inf)
    best = draws[np.arange(draws.shape[0]), np.argmax(lp, axis=0)]
    return conditional_mode(prob, best, mean, omega, dims, err)


@dataclass(frozen=True)
class PopulationPosterior:
    """Posterior draws of individual parameters for a batch of series.

    Attributes
    ----------
    model : Model
    ids : tuple
        One key per series (the batch's ids).
    draws : ndarray (n_series, n_draws, n_params)
        Natural-scale individual parameters psi_i sampled from p(psi_i | y_i, theta, Omega,
        sigma) (parameters without random effect are at their typical value).
    map : ndarray (n_series, n_params)
        Natural-scale conditional mode (maximum a posteriori).
    error : ErrorModel
        The residual-error model and its values (``error.sd(f)``).
    n_obs : ndarray (n_series,)
        Readings used per series (0: the draws are from the population distribution).
    exposure : model input used for predictions (None for models without input).
    seed : int
    acceptance : dict
        Final acceptance rates of the three MH kernels.
    """

    model: Model
    ids: tuple[Any, ...]
    draws: np.ndarray
    map: np.ndarray
    error: ErrorModel
    n_obs: np.ndarray
    exposure: Any = None
    seed: int = 0
    acceptance: Any = None

    @property
    def sigma(self) -> dict[str, float]:
        """Residual-error parameters: ``{"a": mm}``, ``{"b": fraction}`` or both."""
        return self.error.as_dict()

    @property
    def param_names(self) -> tuple[str, ...]:
        return self.model.param_names

    def __len__(self) -> int:
        return len(self.ids)

    def _times(self, t: Any) -> np.ndarray:
        t = np.asarray(t, float)
        if t.ndim == 1:
            t = np.broadcast_to(t, (len(self.ids), t.size))
        if t.ndim != 2 or t.shape[0] != len(self.ids):
            raise ValueError(f"times must be (T,) or (n_series={len(self.ids)}, T); got "
                             f"shape {t.shape}")
        return t

    def predict(self, t: Any, *, noise: bool = False, seed: int = 0,
                use_map: bool = False) -> np.ndarray:
        """Predicted sizes at times ``t`` ((T,) or (n_series, T), days).

        Returns (n_series, n_draws, T): the model curve of every posterior draw
        (``noise=False``), or new readings with residual error added (``noise=True``, drawn
        with ``numpy.random.default_rng(seed)``: the posterior predictive distribution).
        With ``use_map=True`` returns the MAP curve, (n_series, T) (noise not allowed).
        """
        t = self._times(t)
        if use_map:
            if noise:
                raise ValueError("use_map=True gives the MAP curve; noise is not added to it")
            phi = tr.to_unconstrained(self.model, self.map)
            return predict(self.model, phi, t, self.exposure)
        phi = tr.to_unconstrained(self.model, self.draws).transpose(1, 0, 2)  # (M, N, d)
        f = predict(self.model, phi, t, self.exposure).transpose(1, 0, 2)      # (N, M, T)
        if not noise:
            return f
        return self.error.sample(f, np.random.default_rng(seed))

    def quantiles(self, t: Any, q: Any = (0.1, 0.5, 0.9), *, noise: bool = True,
                  seed: int = 0) -> np.ndarray:
        """Pointwise quantiles (len(q), n_series, T) of :meth:`predict` across draws."""
        return np.quantile(self.predict(t, noise=noise, seed=seed), np.asarray(q, float),
                           axis=1)

    def to_frame(self) -> Any:
        """One row per series: MAP and posterior median, 5% and 95% of each parameter."""
        import pandas as pd

        d: dict[str, Any] = {"id": list(self.ids), "n_obs": self.n_obs}
        for j, name in enumerate(self.param_names):
            d[f"{name}_map"] = self.map[:, j]
            qs = np.quantile(self.draws[:, :, j], [0.05, 0.5, 0.95], axis=1)
            d[f"{name}_median"] = qs[1]
            d[f"{name}_q05"] = qs[0]
            d[f"{name}_q95"] = qs[2]
        return pd.DataFrame(d)


def natural(model: Model, phi: np.ndarray) -> np.ndarray:
    """Natural-scale parameters from transformed ones."""
    return tr.to_constrained(model, phi)
