"""Forecasting methods for :func:`oncodyn.inference.predictive.calibrated_forecast`.

* :func:`locf_change`: the last value carried forward; its scores are the changes of the value
  itself from the last scan (spread 1), so its intervals are LOCF widened by the empirical
  quantiles of changes of other series (the issue's ``locf_quantile`` baseline on the value scale).
* :func:`locf_relative`: the same on the calibration scale with a spread proportional to the last
  size (changes relative to the size; a stronger baseline, reported beside it).
* :func:`population_method`: a population model conditioned on each series' training part. The
  individual parameters' posterior given the population (draws of theta_i) gives the model's
  predicted relative change from the last scan and its uncertainty; with the residual error this
  is a predictive sample whose median change is the trend and whose SD is the spread. The
  population comes from a :class:`~oncodyn.population.PopulationFit`-like object (``population``
  with ``.posterior(batch, n_draws=, seed=)``) or, by default, from empirical Bayes: a Gaussian
  prior learned from individual fits of all training parts (two-stage method of moments,
  :func:`~oncodyn.inference.regularise.empirical_bayes_prior`), the MAP of each series under it
  and Laplace draws N(MAP, posterior covariance) (Davidian & Giltinan 1995, *Nonlinear Models for
  Repeated Measurement Data*, §5.2-5.3); :func:`saem_population` gives it from a SAEM
  population fit instead (used by ``oncodyn forecast --population`` and ``oncodyn bench
  forecast``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..models import get_model
from . import _transform as tr
from ._batch import SeriesBatch
from .fit import fit
from .predictive import CentreSpread, Method, Scale
from .regularise import empirical_bayes_prior

DIAMETER_FLOOR_MM = 1.0
"""Spread floor (mm) of size-proportional spreads on a diameter scale: about the reading
precision of a CT diameter (RECIST 1.1 measures to the nearest mm, Eisenhauer et al. 2009, Eur J
Cancer 45:228; illustrative default). Shared by ``oncodyn forecast`` and ``oncodyn bench
forecast`` so that both forecast alike."""
POSTERIOR_DRAWS = 200
"""Posterior draws per series (Monte Carlo SE of a predictive quantile ~ 1/sqrt(200) of its
spread; the calibration step absorbs the rest; illustrative default)."""


def last_values(train: SeriesBatch) -> tuple[np.ndarray, np.ndarray]:
    """Last time and value of each training part (NaN when empty; :meth:`SeriesBatch.last`)."""
    return train.last()


def memo_by_batch(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn(batch, *arrays)`` computed once per distinct argument content (the batch's lengths,
    times and values, and each array's shape and values; NaN included), then reused: one
    posterior shared by the forecasts of several future times, or one method's forecasts shared
    by two calibrations. ``fn`` must be deterministic (seeded), as every method here is."""
    seen: dict[tuple[Any, ...], Any] = {}

    def wrapped(batch: SeriesBatch, *arrays: np.ndarray) -> Any:
        key = tuple(_content(a) for a in (batch.n, batch.t, batch.y, *arrays))
        if key not in seen:
            seen[key] = fn(batch, *arrays)
        return seen[key]

    return wrapped


def _content(a: Any) -> tuple[tuple[int, ...], bytes]:
    a = np.asarray(a, float)
    return a.shape, np.nan_to_num(a, nan=-1e300, posinf=1e300, neginf=-1e299).tobytes()


def locf_change(scale: Scale) -> Method:
    """LOCF; scores are changes on the ``scale`` (identity scale: the value's own changes)."""

    def method(train: SeriesBatch, t_new: np.ndarray) -> CentreSpread:
        _, y_last = last_values(train)
        with np.errstate(all="ignore"):
            g = scale.to(y_last)
        return CentreSpread(spread=np.ones(t_new.shape), last=g)

    return method


def locf_relative(scale: Scale) -> Method:
    """LOCF; scores are changes on ``scale`` divided by (last size + ``scale.floor``)."""

    def method(train: SeriesBatch, t_new: np.ndarray) -> CentreSpread:
        _, y_last = last_values(train)
        with np.errstate(all="ignore"):
            g = scale.to(y_last)
        spread = np.broadcast_to((np.abs(g) + scale.floor)[:, None], t_new.shape).copy()
        return CentreSpread(spread=spread, last=g)

    return method


def empirical_bayes_draws(model: Any, train: SeriesBatch, n_draws: int,
                          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Laplace draws (B, n_draws, P) of natural parameters under an empirical-Bayes prior, and
    the residual SD (B,) on the log scale. Series without a usable MAP get prior draws."""
    model = get_model(model)
    first = fit(model, train, scale="log")
    prior = empirical_bayes_prior(first)
    res = fit(model, train, scale="log", prior=prior)
    b, p = res.theta.shape
    mean = np.where(np.isfinite(res.theta), res.theta, prior.mean[None])
    cov = res.cov_theta
    bad = ~np.all(np.isfinite(cov.reshape(b, -1)), axis=1) | ~np.all(np.isfinite(res.theta), 1)
    cov = np.where(bad[:, None, None], prior.cov[None], np.nan_to_num(cov))
    mean = np.where(bad[:, None], prior.mean[None], mean)
    # symmetrise and floor the eigenvalues (a Laplace covariance is PSD up to rounding)
    cov = 0.5 * (cov + cov.transpose(0, 2, 1))
    w, v = np.linalg.eigh(cov)
    chol = v * np.sqrt(np.maximum(w, 0.0))[:, None, :]
    z = rng.standard_normal((b, n_draws, p))
    theta = mean[:, None, :] + np.einsum("bij,bdj->bdi", chol, z)
    sigma = np.broadcast_to(np.asarray(prior.sigma, float), (b,)).copy()
    return tr.to_constrained(model, theta), sigma


def population_method(model: Any, scale: Scale, *, n_draws: int = POSTERIOR_DRAWS,
                      seed: int = 0, population: Any = None, on_diameter: bool = False,
                      time_factor: float = 1.0) -> Method:
    """Population-model forecasts (see the module docstring).

    Parameters
    ----------
    model : the model (name or Model) whose parameters the draws are.
    scale : the calibration scale (see :class:`~oncodyn.inference.predictive.Scale`).
    n_draws, seed : posterior draws per series and the seed of every random draw.
    population : None (empirical Bayes), or a callable ``population(train) -> (draws (B, D, P)
        natural parameters, sigma (B,) residual SD on the log scale)``, e.g. wrapping
        ``fit_population(model, train).posterior(train, n_draws=..., seed=...)``.
    on_diameter : the model describes diameters (mm, ``scale.diameter_mm`` of the values)
        rather than the values themselves.
    time_factor : model time = data time x ``time_factor`` (e.g. 7 for data in weeks and a
        model in days).
    """
    model = get_model(model)

    def method(train: SeriesBatch, t_new: np.ndarray) -> CentreSpread:
        rng = np.random.default_rng(seed)
        t_last, y_last = last_values(train)
        with np.errstate(all="ignore"):
            values = scale.diameter_mm(train.y) if on_diameter else train.y
            last = scale.diameter_mm(y_last) if on_diameter else y_last
        mtrain = SeriesBatch(train.ids, train.t * time_factor, values, train.n)
        try:
            if population is None:
                draws, sigma = empirical_bayes_draws(model, mtrain, n_draws, rng)
            else:
                draws, sigma = population(mtrain)
        except ConfigError:
            # no population could be estimated from these training parts (too few usable
            # series): no forecast (NaN), counted as failed by the caller, never invented
            nan = np.full(t_new.shape, np.nan)
            return CentreSpread(spread=nan, last=np.full(len(train), np.nan), trend=nan)
        b, d, p = draws.shape
        h = t_new.shape[1]
        tt = np.concatenate([t_last[:, None], np.where(np.isfinite(t_new), t_new, t_last[:, None])],
                            axis=1) * time_factor
        tt = np.repeat(tt, d, axis=0)
        with np.errstate(all="ignore"):
            f = np.asarray(model.predict(tt, draws.reshape(b * d, p)), float).reshape(b, d, h + 1)
            ratio = f[:, :, 1:] / f[:, :, :1]
            # residual noise on the new and on the last scan (both measured with error)
            eps = rng.standard_normal((b, d, h)) * (np.sqrt(2.0) * sigma)[:, None, None]
            draw = last[:, None, None] * ratio * np.exp(eps)
            g_draw = scale.to(scale.from_diameter_mm(draw) if on_diameter else draw)
            g_last = scale.to(y_last)
            ok = np.isfinite(g_draw)
            med = np.nanmedian(np.where(ok, g_draw, np.nan), axis=1)
            sd = np.nanstd(np.where(ok, g_draw, np.nan), axis=1)
        trend = np.where(np.isfinite(med), med - g_last[:, None], 0.0)
        spread = np.where(np.isfinite(sd), sd, 0.0) + scale.floor
        return CentreSpread(spread=spread, last=g_last, trend=trend)

    return method


def saem_population(model: str, *, n_draws: int = POSTERIOR_DRAWS, seed: int = 0,
                    **fit_options: Any) -> Callable[[SeriesBatch], tuple[np.ndarray, np.ndarray]]:
    """A ``population`` argument of :func:`population_method` from a SAEM population fit.

    Returns ``train -> (draws, sigma_log)``: :func:`oncodyn.population.fit_population` (SAEM,
    Kuhn & Lavielle 2005 Comput Stat Data Anal 49:1020) on the training parts, then
    :meth:`PopulationFit.posterior` draws (B, ``n_draws``, P) of each series' parameters given
    them; the residual SD on the log scale is the error model's sd(f) / f at the MAP's
    prediction of the last training scan (the proportional part ``b`` where that is not finite).
    ``fit_options`` go to ``fit_population``.
    """

    def population(train: SeriesBatch) -> tuple[np.ndarray, np.ndarray]:
        from ..population import fit_population

        pf = fit_population(model, train, seed=seed, **fit_options)
        post = pf.posterior(train, n_draws=n_draws, seed=seed)
        t_last, _ = train.last()
        f_last = post.predict(t_last[:, None], use_map=True)[:, 0]
        with np.errstate(all="ignore"):
            sig = post.error.sd(f_last) / np.abs(f_last)
        fallback = post.error.b if post.error.b > 0 else 0.0
        sig = np.where(np.isfinite(sig), sig, fallback)
        return post.draws, sig

    return population
