"""The immutable record of a population fit, and the posterior of new series under it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..inference import _transform as tr
from ..models import Model
from ._error import ErrorModel
from ._mcmc import Kernel, Problem
from .covariates import Coding, Covariates
from .posterior import PopulationPosterior, map_from_draws, sample_conditional


@dataclass(frozen=True)
class Trace:
    """SAEM convergence trace, one row per iteration (exploration first, then smoothing).

    ``theta``: typical values (natural scale, reference covariate levels); ``omega``: diagonal
    of Omega (transformed scale); ``error``: (a, b); ``loglik``: mean over chains of
    sum_i log p(y_i | phi_i) at the current draws.
    """

    theta: np.ndarray
    omega: np.ndarray
    error: np.ndarray
    loglik: np.ndarray
    k1: int
    k2: int


@dataclass(frozen=True)
class PopulationFit:
    """Result of :func:`oncodyn.population.fit_population`.

    Population parameters
    ---------------------
    ``beta[k]``: fixed effects of parameter k on its transformed scale (intercept first, then
    covariate coefficients, see ``coding``); ``theta`` / ``theta_se``: typical values on the
    natural scale (reference covariate levels, continuous covariates at their median) with
    delta-method standard errors; ``omega``: covariance of the random effects (transformed
    scale, zero rows for parameters without one); ``error``: residual-error model and values
    (``sigma`` as a dict); ``labels`` / ``estimates`` / ``cov``: every estimated population
    parameter in one vector with its covariance (Louis' observed information, see
    :mod:`.information`) and ``cov_robust`` / ``se_robust`` (sandwich).

    Fit statistics
    --------------
    ``minus2ll`` (importance sampling) with its Monte Carlo SE, ``aic`` = -2LL + 2k,
    ``bic`` = -2LL + k log(N series) (the Monolix convention; Delattre M, Lavielle M, Poursat
    M-A 2014, Electron J Stat 8:456, discuss the choice), ``shrinkage``: eta-shrinkage
    1 - sd(eta_EBE)/omega per parameter (Savic RM, Karlsson MO 2009, AAPS J 11:558).

    Individual results (one row per series of the input batch; NaN rows for series left out)
    ------------------------------------------------------------------------------------------
    ``ebe``: conditional modes (natural scale), ``cond_mean``: conditional means (natural
    scale, back-transformed from the transformed-scale mean), ``pred`` / ``ipred``:
    population (eta = 0) and individual predictions at the batch's times; ``typical``: the
    transformed typical values m_i = X_i beta of each series (with its covariates).

    ``status`` is "converged" or "warning"; ``messages`` say why and what to try.
    """

    model: Model
    ids: tuple[Any, ...]
    used: np.ndarray
    random: tuple[bool, ...]
    omega_structure: str
    error: ErrorModel
    coding: Coding
    beta: tuple[np.ndarray, ...]
    omega: np.ndarray
    labels: tuple[str, ...]
    estimates: np.ndarray
    cov: np.ndarray
    minus2ll: float
    minus2ll_se: float
    aic: float
    bic: float
    n_series: int
    n_obs: int
    n_censored: int
    shrinkage: np.ndarray
    ebe: np.ndarray
    cond_mean: np.ndarray
    pred: np.ndarray
    ipred: np.ndarray
    trace: Trace
    status: str
    messages: tuple[str, ...]
    seed: int
    n_chains: int
    wall_s: float
    lloq: Any = None
    exposure: Any = None
    acceptance: Any = None
    steps: Any = None
    typical: Any = None       # (n_series, n_params) transformed typical values m_i (NaN: left out)
    cov_robust: Any = None    # sandwich covariance (see oncodyn.population.information)

    # ------------------------------------------------------------------ population values
    @property
    def param_names(self) -> tuple[str, ...]:
        return self.model.param_names

    @property
    def mu(self) -> np.ndarray:
        """Intercepts of the fixed effects (transformed scale)."""
        return np.array([b[0] for b in self.beta])

    @property
    def theta(self) -> np.ndarray:
        """Typical values on the natural scale (reference covariate values)."""
        return tr.to_constrained(self.model, self.mu)

    @property
    def se(self) -> dict[str, float]:
        """Standard error of every estimated population parameter, by label."""
        with np.errstate(invalid="ignore"):
            s = np.sqrt(np.diag(self.cov))
        return dict(zip(self.labels, s.tolist(), strict=True))

    @property
    def se_robust(self) -> dict[str, float]:
        """Sandwich standard errors (robust to non-Gaussian residuals and random effects)."""
        if self.cov_robust is None:
            return {k: float("nan") for k in self.labels}
        with np.errstate(invalid="ignore"):
            s = np.sqrt(np.diag(self.cov_robust))
        return dict(zip(self.labels, s.tolist(), strict=True))

    @property
    def mu_se(self) -> np.ndarray:
        s = self.se
        return np.array([s[f"mu_{nm}"] for nm in self.param_names])

    @property
    def theta_se(self) -> np.ndarray:
        """Delta-method standard errors of ``theta`` (natural scale)."""
        return np.abs(tr.jacobian_diag(self.model, self.mu)) * self.mu_se

    def theta_ci(self, level: float = 0.95) -> np.ndarray:
        """Wald interval of each typical value, (n_params, 2), built on the transformed scale
        (so it stays inside the parameter's range) and mapped back."""
        from scipy.stats import norm

        z = norm.ppf(0.5 + level / 2)
        lo = tr.to_constrained(self.model, self.mu - z * self.mu_se)
        hi = tr.to_constrained(self.model, self.mu + z * self.mu_se)
        return np.column_stack([lo, hi])

    @property
    def sigma(self) -> dict[str, float]:
        """Residual-error parameters: ``{"a": ...}`` (data unit), ``{"b": ...}`` or both."""
        return self.error.as_dict()

    @property
    def omega_sd(self) -> np.ndarray:
        """Standard deviations of the random effects (transformed scale; 0 without one)."""
        return np.sqrt(np.clip(np.diag(self.omega), 0.0, None))

    def __len__(self) -> int:
        return len(self.ids)

    # ------------------------------------------------------------------ tables
    def to_frame(self) -> Any:
        """One row per estimated population parameter: estimate, SE, relative SE (%), and for
        typical values the natural-scale value with its SE and 95% Wald interval."""
        import pandas as pd

        se = np.array(list(self.se.values()))
        df = pd.DataFrame({"parameter": list(self.labels), "estimate": self.estimates,
                           "se": se, "se_robust": list(self.se_robust.values())})
        with np.errstate(all="ignore"):
            df["rse_percent"] = 100 * np.abs(se / self.estimates)
        nat = {f"mu_{nm}": i for i, nm in enumerate(self.param_names)}
        ci = self.theta_ci()
        df["natural"] = [self.theta[nat[p]] if p in nat else np.nan for p in self.labels]
        df["natural_se"] = [self.theta_se[nat[p]] if p in nat else np.nan for p in self.labels]
        df["natural_lo95"] = [ci[nat[p], 0] if p in nat else np.nan for p in self.labels]
        df["natural_hi95"] = [ci[nat[p], 1] if p in nat else np.nan for p in self.labels]
        df.insert(0, "model", self.model.name)
        return df

    def individual_frame(self) -> Any:
        """One row per series: EBEs (natural scale), conditional means, and whether used."""
        import pandas as pd

        d: dict[str, Any] = {"id": list(self.ids), "used": self.used}
        for j, nm in enumerate(self.param_names):
            d[nm] = self.ebe[:, j]
        for j, nm in enumerate(self.param_names):
            d[f"{nm}_cond_mean"] = self.cond_mean[:, j]
        return pd.DataFrame(d)

    def summary(self) -> dict[str, Any]:
        """Plain dict (JSON-ready) of the population estimates and fit statistics."""
        names = self.param_names
        ci = self.theta_ci()
        return {
            "model": self.model.name, "status": self.status, "messages": list(self.messages),
            "n_series": self.n_series, "n_obs": self.n_obs, "n_censored": self.n_censored,
            "theta": {nm: float(v) for nm, v in zip(names, self.theta, strict=True)},
            "theta_se": {nm: float(v) for nm, v in zip(names, self.theta_se, strict=True)},
            "theta_ci95": {nm: [float(ci[k, 0]), float(ci[k, 1])] for k, nm in enumerate(names)},
            "omega": {nm: float(self.omega[k, k]) for k, nm in enumerate(names)
                      if self.random[k]},
            "omega_matrix": self.omega.tolist(), "omega_structure": self.omega_structure,
            "error": self.error.kind, "sigma": self.sigma,
            "covariate_effects": {t.label + " on " + t.param: float(
                self.beta[names.index(t.param)][1 + self.coding.terms_of(
                    names.index(t.param)).index(t)]) for t in self.coding.terms},
            "reference_levels": dict(self.coding.references),
            "se": self.se, "se_robust": self.se_robust, "minus2ll": self.minus2ll, "minus2ll_se": self.minus2ll_se,
            "aic": self.aic, "bic": self.bic,
            "shrinkage": {nm: float(self.shrinkage[k]) for k, nm in enumerate(names)
                          if self.random[k]},
            "iterations": [self.trace.k1, self.trace.k2], "n_chains": self.n_chains,
            "seed": self.seed, "wall_s": self.wall_s,
        }

    # ------------------------------------------------------------------ new series
    def typical_phi(self, covariates: Any, n: int) -> np.ndarray:
        """Transformed typical values m_i (n, n_params) for ``n`` series with these covariate
        values (a DataFrame or mapping; a :class:`Covariates` gives its ``values``)."""
        if isinstance(covariates, Covariates):
            covariates = covariates.values
        if self.coding.terms and covariates is None:
            raise ConfigError("this fit has covariate effects ("
                              + ", ".join(self.coding.names) + "): pass their values for the "
                              "new series (covariates=...)")
        xs = self.coding.design(covariates, n)
        return np.column_stack([x @ b for x, b in zip(xs, self.beta, strict=True)])

    def posterior(self, batch: Any, *, covariates: Any = None, n_draws: int = 500,
                  seed: int = 0, lloq: Any = "fit", exposure: Any = "fit",
                  burn: int = 50, n_chains: int = 20) -> PopulationPosterior:
        """Posterior of the individual parameters of the series of ``batch`` (new or not)
        given the population estimates: p(psi_i | y_i, theta, Omega, sigma).

        Parameters
        ----------
        batch : SeriesBatch
            The readings known for each series (e.g. ``batch.head(k)``: the first k scans).
            A series with no reading gets draws from the population distribution.
        covariates : covariate values of these series (DataFrame/mapping, one row per series),
            required when the fit has covariate effects.
        n_draws : draws per series (from ``n_chains`` independent chains, equal shares).
        seed : seed of the sampler (same seed, same draws).
        lloq : censoring limit for these readings; "fit" (default) reuses the fit's limit.
        exposure : model input; "fit" reuses the fit's (a per-series fit exposure must be
            given again for new series).
        burn : sweeps (with step adaptation) before draws are kept.

        Returns
        -------
        PopulationPosterior
            ``.draws`` (n_series, n_draws, n_params) natural-scale parameters, ``.map``,
            ``.error`` / ``.sigma``, and ``.predict(t, noise=...)`` for future sizes.
        """
        if n_draws < 1:
            raise ConfigError(f"n_draws must be positive, got {n_draws}")
        lim = self.lloq if isinstance(lloq, str) and lloq == "fit" else lloq
        if isinstance(lim, np.ndarray) and lim.ndim > 0:
            raise ConfigError("the fit used a per-reading lloq: pass lloq= for these series")
        u = self.exposure if isinstance(exposure, str) and exposure == "fit" else exposure
        if u is not None and np.ndim(u) > 0 and np.shape(u)[0] != len(batch):
            raise ConfigError("the fit used one exposure per series: pass exposure= for the "
                              "new series")
        prob = Problem.from_batch(self.model, batch, lloq=lim, exposure=u)
        n = prob.n
        mean = self.typical_phi(covariates, n)
        rdims = np.flatnonzero(np.array(self.random))
        rng = np.random.default_rng(seed)
        chains = max(1, min(n_chains, n_draws))
        keep = int(np.ceil(n_draws / chains))
        steps, block = self.steps if self.steps is not None else (None, 0.4)
        kernel = None
        if steps is not None:
            kernel = Kernel(step=np.array(steps, float), block=float(block))
        draws, kernel = sample_conditional(prob, mean, self.omega, rdims, self.error, rng,
                                           n_chains=chains, burn=burn, n_keep=keep,
                                           kernel=kernel)
        draws = draws[:, :n_draws]
        phi_map = map_from_draws(prob, draws, mean, self.omega, rdims, self.error)
        return PopulationPosterior(
            model=self.model, ids=tuple(batch.ids),
            draws=tr.to_constrained(self.model, draws), map=tr.to_constrained(self.model, phi_map),
            error=self.error, n_obs=prob.valid.sum(axis=1), exposure=u, seed=seed,
            acceptance=dict(kernel.accept))
