"""Regularisation options of the individual fit: the TumorGrowth.jl penalty and a Gaussian prior.

Both enter :func:`oncodyn.inference.fit` as keyword options and are written as extra factors or
rows of the least-squares problem, so the same batched Levenberg–Marquardt solver minimises them.

**TumorGrowth.jl penalty** (``penalty=lam``). TumorGrowth.jl (Blaom & Okon 2025, arXiv:2502.07964;
``src/calibration.jl``, helper ``factor``) multiplies the sum-of-squares loss of any law with a
``v0`` and a ``v_inf`` by

    P = ((v0^2 + v_inf^2) / (2 v0 v_inf))^lam = cosh(ln v_inf - ln v0)^lam,

which is 1 when v_inf = v0 and grows with |ln(v_inf / v0)|: it discourages the carrying capacity
from drifting away from the data. The default ``lam = 0.8`` is the value of TumorGrowth.jl's
model battle that the issue quotes (``docs/src/examples/04_model_battle``). Written as a residual
factor: r -> r sqrt(P), so that sum(r^2) P is a sum of squares.

**Gaussian prior** (``prior=GaussianPrior(...)``). A normal prior N(mean, cov) on the model's
unconstrained parameters theta (log / logit / identity, from each
:class:`~oncodyn.models.Parameter`), with a residual SD ``sigma`` on the fitted scale. The fit
then minimises RSS + sigma^2 (theta - mean)^T cov^-1 (theta - mean), i.e. sigma^2 times twice the
negative log posterior (the MAP, or empirical-Bayes estimate of nonlinear mixed-effects models:
Lindstrom & Bates 1990 Biometrics 46:673; Davidian & Giltinan 1995, *Nonlinear Models for Repeated
Measurement Data*, ch. 5). Written as extra residual rows sigma L^-1 (theta - mean), cov = L L^T.

The prior can come from a population fit (its typical values and Omega on the same transformed
scale) or from :func:`empirical_bayes_prior`: moments of individual unpenalised fits of other
series (method of moments, Davidian & Giltinan 1995 §5.2 "two-stage" estimates).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..models import Model
from . import _transform as tr

TUMORGROWTH_PENALTY = 0.8
"""Default exponent lam of the TumorGrowth.jl penalty (its model battle, see the module doc)."""


@dataclass(frozen=True)
class GaussianPrior:
    """Normal prior on a model's unconstrained parameters (see the module docstring).

    Attributes
    ----------
    mean : (P,) or (n_series, P) prior means of theta (transformed scale).
    cov : (P, P) or (n_series, P, P) prior covariance of theta (Omega of a population model).
    sigma : residual SD on the fitted scale (scalar or (n_series,)); it weighs the prior against
        the data (the prior rows are scaled by it) and is the residual SD used for intervals.
    """

    mean: np.ndarray
    cov: np.ndarray
    sigma: Any

    def __post_init__(self) -> None:
        m = np.asarray(self.mean, float)
        c = np.asarray(self.cov, float)
        if m.ndim not in (1, 2) or c.ndim not in (2, 3) or c.shape[-1] != c.shape[-2] \
                or c.shape[-1] != m.shape[-1]:
            raise ConfigError(f"prior: mean {m.shape} and cov {c.shape} do not match "
                              "(mean (P,) or (n, P); cov (P, P) or (n, P, P))")
        if not (np.all(np.isfinite(m)) and np.all(np.isfinite(c))):
            raise ConfigError("prior: mean and cov must be finite")
        if np.any(np.asarray(self.sigma, float) <= 0):
            raise ConfigError("prior: sigma must be > 0")

    def rows(self, b: int, free: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-series (mean_free (b,k), L^-1 (b,k,k), sigma (b,)) for the free parameters."""
        m = np.broadcast_to(np.asarray(self.mean, float), (b, np.shape(self.mean)[-1]))[:, free]
        c = np.asarray(self.cov, float)
        c = np.broadcast_to(c, (b,) + c.shape[-2:])[:, free][:, :, free]
        try:
            L = np.linalg.cholesky(c)
        except np.linalg.LinAlgError:
            raise ConfigError("prior: cov is not positive definite") from None
        linv = np.linalg.inv(L)
        s = np.broadcast_to(np.asarray(self.sigma, float), (b,)).copy()
        return m, linv, s


def penalty_factor(model: Model, theta: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """sqrt(P) and d sqrt(P) / d theta (B, P) of the TumorGrowth.jl penalty at ``theta`` (B, P).

    With x = theta_vinf - theta_v0 (both log-transformed): sqrt(P) = cosh(x)^(lam/2) and
    d sqrt(P)/dx = (lam/2) sqrt(P) tanh(x).
    """
    i0, i1 = penalty_indices(model)
    x = np.clip(theta[:, i1] - theta[:, i0], -700.0, 700.0)
    # log cosh x = |x| + log1p(exp(-2|x|)) - log 2, stable for large |x|
    logcosh = np.abs(x) + np.log1p(np.exp(-2 * np.abs(x))) - np.log(2.0)
    with np.errstate(over="ignore"):
        s = np.exp(np.minimum(0.5 * lam * logcosh, 700.0))
    ds = 0.5 * lam * s * np.tanh(x)
    grad = np.zeros_like(theta)
    grad[:, i1] = ds
    grad[:, i0] = -ds
    return s, grad


def penalty_indices(model: Model) -> tuple[int, int]:
    """Indices of v0 and v_inf; a ConfigError for a model without both (log-transformed)."""
    names = model.param_names
    if "v0" not in names or "v_inf" not in names:
        raise ConfigError(f"penalty needs a model with parameters v0 and v_inf; {model.name!r} has "
                          f"{', '.join(names)}")
    i0, i1 = model.index("v0"), model.index("v_inf")
    c = tr.codes(model)
    if c[i0] != 1 or c[i1] != 1:
        raise ConfigError("penalty needs log-transformed v0 and v_inf")
    return i0, i1


def empirical_bayes_prior(result: Any, *, index: np.ndarray | None = None,
                          min_var: float = 1e-4) -> GaussianPrior:
    """Gaussian prior from individual fits (``FitResult``) of a set of series.

    Two-stage method of moments (Davidian & Giltinan 1995, §5.2): mean = mean of the individual
    theta, cov = their empirical covariance minus the mean estimation covariance (the part due to
    fitting noise), eigenvalues floored at ``min_var``; sigma = the median residual SD. Only
    series with status ``CONVERGED`` and finite standard errors enter (runaway fits would
    dominate the moments); ``index`` restricts to given series (e.g. other patients only).
    """
    ok = np.array([s.value == "converged" for s in result.status])
    ok &= np.all(np.isfinite(result.theta), axis=1) & np.isfinite(result.sigma)
    var = np.diagonal(result.cov_theta, axis1=1, axis2=2)
    ok &= np.all(np.isfinite(var), axis=1)
    if index is not None:
        sel = np.zeros_like(ok)
        sel[np.asarray(index)] = True
        ok &= sel
    if ok.sum() < result.theta.shape[1] + 2:
        raise ConfigError(f"empirical_bayes_prior: {int(ok.sum())} usable fits, too few for "
                          f"{result.theta.shape[1]} parameters")
    th = result.theta[ok]
    mean = th.mean(axis=0)
    emp = np.cov(th, rowvar=False)
    noise = np.mean(np.nan_to_num(result.cov_theta[ok]), axis=0)
    w, v = np.linalg.eigh(emp - noise)
    cov = (v * np.maximum(w, min_var)) @ v.T
    return GaussianPrior(mean=mean, cov=cov, sigma=float(np.median(result.sigma[ok])))
