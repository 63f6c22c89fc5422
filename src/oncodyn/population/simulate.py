"""Simulated populations with known parameters (for recovery tests and the ``popfit`` benchmark).

The generative model is the one :func:`fit_population` estimates: phi_i = h(theta) + eta_i,
eta_i ~ N(0, Omega), y_ij = f(t_ij; psi_i) + sd(f) e_ij (see :mod:`.saem`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..inference import SeriesBatch
from ..inference import _transform as tr
from ..models import Model, get_model
from ._error import ErrorModel
from ._mcmc import predict


@dataclass(frozen=True)
class SimulatedPopulation:
    """A simulated data set and the truth behind it."""

    batch: SeriesBatch
    params: np.ndarray        # (N, n_params) true individual parameters, natural scale
    theta: np.ndarray         # typical values, natural scale
    omega: np.ndarray         # covariance of eta (transformed scale)
    error: ErrorModel


def simulate_population(model: str | Model, theta: Any, omega: Any, error: ErrorModel,
                        times: Any, n: int, *, seed: int = 0, shift: Any = None,
                        ) -> SimulatedPopulation:
    """Simulate ``n`` series of ``model``.

    Parameters
    ----------
    theta : typical values (natural scale), a mapping name -> value or a vector.
    omega : covariance of the random effects on the transformed scale: a (d, d) matrix, a
        vector of variances, or a mapping name -> variance (missing names: no random effect).
    error : residual-error model with its values.
    times : (T,) common times or (n, T) per series (days).
    shift : optional (n, d) additive offsets on the transformed scale (covariate effects).
    seed : seed of ``numpy.random.default_rng``.
    """
    model = get_model(model)
    d = model.n_params
    if isinstance(theta, dict):
        theta = model.params(**theta)
    theta = np.asarray(theta, float)
    if isinstance(omega, dict):
        omega = np.diag([float(omega.get(nm, 0.0)) for nm in model.param_names])
    omega = np.asarray(omega, float)
    if omega.ndim == 1:
        omega = np.diag(omega)
    rng = np.random.default_rng(seed)
    mu = tr.to_unconstrained(model, theta)
    r = np.flatnonzero(np.diag(omega) > 0)
    phi = np.broadcast_to(mu, (n, d)).copy()
    if r.size:
        chol = np.linalg.cholesky(omega[np.ix_(r, r)])
        phi[:, r] += rng.standard_normal((n, r.size)) @ chol.T
    if shift is not None:
        phi = phi + np.asarray(shift, float)
    t = np.asarray(times, float)
    t = np.broadcast_to(t, (n, t.shape[-1])).copy()
    f = predict(model, phi, t)
    y = error.sample(f, rng)
    batch = SeriesBatch(tuple(range(n)), t, y, np.full(n, t.shape[1]))
    return SimulatedPopulation(batch, tr.to_constrained(model, phi), theta, omega, error)
