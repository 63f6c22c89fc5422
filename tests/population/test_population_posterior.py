"""Posterior of new series given population estimates (the forecasting building block)."""

from __future__ import annotations

import numpy as np
import pytest

from oncodyn.inference import SeriesBatch
from oncodyn.population import PopulationFit, PopulationPosterior


@pytest.fixture(scope="module")
def new_series(moderate_population):
    sim, fit = moderate_population
    rows = np.arange(500, 800)  # not used by the fit
    return sim.batch.subset(rows), sim.params[rows]


@pytest.fixture(scope="module")
def posterior(moderate_population, new_series):
    _, fit = moderate_population
    batch, _ = new_series
    return fit.posterior(batch.head(3), n_draws=200, seed=5)


def test_posterior_shapes_and_error_model(moderate_population, posterior, new_series):
    _, fit = moderate_population
    assert isinstance(fit, PopulationFit)
    assert isinstance(posterior, PopulationPosterior)
    assert posterior.draws.shape == (300, 200, 3)
    assert posterior.map.shape == (300, 3)
    assert posterior.sigma == fit.sigma and set(posterior.sigma) == {"b"}
    assert np.all(posterior.n_obs == 3)
    assert np.all(np.isfinite(posterior.draws)) and np.all(posterior.draws > 0)
    t = np.array([300.0, 340.0])
    curves = posterior.predict(t)
    noisy = posterior.predict(t, noise=True, seed=1)
    assert curves.shape == noisy.shape == (300, 200, 2)
    assert posterior.predict(t, use_map=True).shape == (300, 2)
    # residual noise widens the predictive spread, never narrows it on average
    assert np.mean(np.std(noisy, axis=1)) > np.mean(np.std(curves, axis=1))
    assert posterior.quantiles(t, (0.1, 0.9)).shape == (2, 300, 2)


def test_posterior_intervals_cover_true_individual_parameters(posterior, new_series):
    # series simulated from the population the fit estimated: central 90% posterior intervals
    # cover the truth with probability 0.9 (averaged over series); 300 series -> binomial SE
    # sqrt(0.9*0.1/300) = 0.017, tolerance 3 SE (estimation error of the 500-series fit is
    # small against the posterior width)
    _, truth = new_series
    lo, hi = np.quantile(posterior.draws, [0.05, 0.95], axis=1)
    cover = ((truth >= lo) & (truth <= hi)).mean(axis=0)
    assert np.all(np.abs(cover - 0.9) < 3 * np.sqrt(0.09 / 300)), cover


def test_posterior_predictive_intervals_cover_later_scans(posterior, new_series):
    # 80% posterior-predictive intervals (with residual error) for scans 4 and 8 of the new
    # series: coverage 0.8 +- 3 sqrt(0.16/300)
    batch, _ = new_series
    t = batch.t[:, [3, 7]]
    q = posterior.quantiles(t, (0.1, 0.9), noise=True, seed=2)
    y = batch.y[:, [3, 7]]
    cover = ((y >= q[0]) & (y <= q[1])).mean(axis=0)
    assert np.all(np.abs(cover - 0.8) < 3 * np.sqrt(0.16 / 300)), cover


def test_posterior_is_reproducible_from_its_seed(moderate_population, new_series):
    _, fit = moderate_population
    batch = new_series[0].subset(np.arange(20)).head(2)
    a = fit.posterior(batch, n_draws=40, seed=9)
    b = fit.posterior(batch, n_draws=40, seed=9)
    c = fit.posterior(batch, n_draws=40, seed=10)
    np.testing.assert_array_equal(a.draws, b.draws)
    np.testing.assert_array_equal(a.map, b.map)
    assert not np.array_equal(a.draws, c.draws)


def test_series_without_readings_get_the_population_distribution(moderate_population):
    # no data: p(psi | y) is the population distribution, log psi ~ N(mu, omega);
    # 4 series x 500 draws pooled (chains independent after burn-in): mean within 4 MC SE
    _, fit = moderate_population
    empty = SeriesBatch(tuple(range(4)), np.full((4, 1), np.nan), np.full((4, 1), np.nan),
                        np.zeros(4, int))
    post = fit.posterior(empty, n_draws=500, seed=4)
    assert np.all(post.n_obs == 0)
    logs = np.log(post.draws).reshape(-1, 3)
    sd = fit.omega_sd
    # autocorrelated chains: effective sample taken as 1/10 of the draws (conservative)
    n_eff = logs.shape[0] / 10
    assert np.all(np.abs(logs.mean(axis=0) - fit.mu) < 4 * sd / np.sqrt(n_eff))
    assert np.all(np.abs(logs.std(axis=0) / sd - 1) < 4 / np.sqrt(2 * n_eff))
    # the MAP with no data is the typical value
    np.testing.assert_allclose(post.map, np.broadcast_to(fit.theta, (4, 3)), rtol=1e-3)


def test_posterior_needs_covariates_when_the_fit_has_them(covariate_fit):
    from oncodyn.errors import ConfigError

    fit, batch, _ = covariate_fit
    with pytest.raises(ConfigError, match="covariates"):
        fit.posterior(batch.subset(np.arange(3)), n_draws=10)


def test_posterior_uses_the_covariates_of_the_new_series(covariate_fit):
    # no readings: the MAP is the typical value of each series' covariates, so arm B's g is
    # arm A's times exp(beta_arm) exactly
    fit, _, _ = covariate_fit
    empty = SeriesBatch(("a", "b"), np.full((2, 1), np.nan), np.full((2, 1), np.nan),
                        np.zeros(2, int))
    post = fit.posterior(empty, covariates={"arm": np.array(["A", "B"]),
                                            "age": np.array([60.0, 60.0])}, n_draws=20, seed=1)
    assert post.map[1, 1] / post.map[0, 1] == pytest.approx(np.exp(fit.beta[1][1]), rel=1e-3)
    assert post.map[0, 2] == pytest.approx(post.map[1, 2], rel=1e-3)  # same age, same d
