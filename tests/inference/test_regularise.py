"""The TumorGrowth.jl penalty and the Gaussian prior of the individual fit."""

from __future__ import annotations

import numpy as np
import pytest

from oncodyn.errors import ConfigError
from oncodyn.inference import FitStatus, SeriesBatch, fit
from oncodyn.inference import _transform as tr
from oncodyn.inference.regularise import GaussianPrior, empirical_bayes_prior, penalty_factor
from oncodyn.models import get_model

T = np.array([0.0, 6, 12, 18, 24, 30])


def test_penalty_factor_is_the_tumorgrowth_formula():
    m = get_model("gompertz")
    rng = np.random.default_rng(0)
    p = np.column_stack([rng.uniform(1, 100, 50), rng.uniform(1e-3, 1e5, 50), np.full(50, 0.1)])
    theta = tr.to_unconstrained(m, p)
    s, grad = penalty_factor(m, theta, 0.8)
    v0, vi = p[:, 0], p[:, 1]
    np.testing.assert_allclose(s**2, ((v0**2 + vi**2) / (2 * v0 * vi)) ** 0.8, rtol=1e-10)
    # derivative by central differences on theta
    h = 1e-6
    for j in (0, 1):
        tp, tm = theta.copy(), theta.copy()
        tp[:, j] += h
        tm[:, j] -= h
        fd = (penalty_factor(m, tp, 0.8)[0] - penalty_factor(m, tm, 0.8)[0]) / (2 * h)
        np.testing.assert_allclose(grad[:, j], fd, rtol=1e-5, atol=1e-8)
    assert np.all(grad[:, 2] == 0)


def _runaway_batch():
    # exponential growth with no bend: a carrying capacity is not determined by these points
    rng = np.random.default_rng(1)
    y = [10.0 * np.exp(0.05 * T) * np.exp(rng.normal(0, 0.02, T.size)) for _ in range(20)]
    return SeriesBatch.from_lists(list(range(20)), [T] * 20, y)


def test_penalty_minimises_loss_times_factor_and_tames_v_inf():
    batch = _runaway_batch()
    free = fit("logistic", batch)
    pen = fit("logistic", batch, penalty=0.8)
    m = get_model("logistic")
    fac = penalty_factor(m, pen.theta, 0.8)[0] ** 2
    np.testing.assert_allclose(pen.objective, pen.loss * fac, rtol=1e-8)
    # the penalised optimum is no worse in its own objective than the unpenalised optimum
    fac_free = penalty_factor(m, free.theta, 0.8)[0] ** 2
    assert np.all(pen.objective <= free.loss * fac_free * (1 + 1e-6))
    # and the capacity stays within a bounded multiple of the data (it runs away without)
    ymax = np.nanmax(batch.y, axis=1)
    assert np.median(free.params[:, 1] / ymax) > 100
    assert np.all(pen.params[:, 1] / ymax < 100)


def test_penalty_needs_v0_and_v_inf():
    with pytest.raises(ConfigError, match="v0 and v_inf"):
        fit("exponential", _runaway_batch(), penalty=0.8)
    with pytest.raises(ConfigError, match="penalty"):
        fit("gompertz", _runaway_batch(), penalty=-1.0)


def test_prior_map_and_posterior_match_the_linear_gaussian_closed_form():
    """On the log scale the exponential law is linear in theta = (log v0, k): the MAP and the
    posterior covariance have the ridge closed form (Lindley & Smith 1972 J R Stat Soc B 34:1)."""
    m = get_model("exponential")
    rng = np.random.default_rng(2)
    n = 15
    t = np.array([0.0, 8.0, 16.0])
    y = [np.exp(3.0 + rng.normal(0, 0.5) + rng.normal(0, 0.01) * t + rng.normal(0, 0.1, 3))
         for _ in range(n)]
    batch = SeriesBatch.from_lists(list(range(n)), [t] * n, y)
    mu = np.array([3.0, 0.0])
    cov = np.array([[0.25, 0.0], [0.0, 1e-4]])
    sigma = 0.1
    res = fit(m, batch, scale="log", prior=GaussianPrior(mu, cov, sigma))
    X = np.column_stack([np.ones(3), t])
    A = X.T @ X / sigma**2 + np.linalg.inv(cov)
    post_cov = np.linalg.inv(A)
    for i in range(n):
        b = X.T @ np.log(y[i]) / sigma**2 + np.linalg.solve(cov, mu)
        np.testing.assert_allclose(res.theta[i], post_cov @ b, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(res.cov_theta[i], post_cov, rtol=1e-5)
    assert all(s is FitStatus.CONVERGED for s in res.status)
    np.testing.assert_allclose(res.sigma, sigma)


def test_prior_fits_series_with_fewer_points_than_parameters():
    m = get_model("gompertz")
    batch = SeriesBatch.from_lists(["one", "two"], [[0.0], [0.0, 6.0]], [[5.0], [5.0, 6.0]])
    plain = fit(m, batch)
    assert all(s is FitStatus.TOO_FEW_POINTS for s in plain.status)
    prior = GaussianPrior(tr.to_unconstrained(m, np.array([5.0, 20.0, 0.05])), np.eye(3), 0.5)
    res = fit(m, batch, prior=prior)
    assert np.all(np.isfinite(res.params))
    assert all(s is not FitStatus.TOO_FEW_POINTS for s in res.status)


def test_empirical_bayes_prior_recovers_the_population_moments():
    """theta_i ~ N(mu, Omega) with 300 series and small noise: the moment estimates lie within
    a few CLT standard errors (mean: sqrt(Omega_jj / n); variance: Omega_jj sqrt(2 / n))."""
    m = get_model("exponential")
    rng = np.random.default_rng(3)
    n = 300
    t = np.linspace(0, 40, 6)
    mu = np.array([np.log(50.0), 0.01])
    om = np.diag([0.3**2, 0.01**2])
    th = rng.multivariate_normal(mu, om, n)
    y = [np.exp(a + b * t + rng.normal(0, 0.01, t.size)) for a, b in th]
    res = fit(m, SeriesBatch.from_lists(list(range(n)), [t] * n, y), scale="log")
    pr = empirical_bayes_prior(res)
    se_mean = np.sqrt(np.diag(om) / n)
    assert np.all(np.abs(pr.mean - mu) < 4 * se_mean)
    rel = np.abs(np.diag(pr.cov) / np.diag(om) - 1)
    assert np.all(rel < 4 * np.sqrt(2 / n))
    assert abs(pr.sigma - 0.01) < 0.003


def test_prior_shape_errors_are_config_errors():
    with pytest.raises(ConfigError, match="do not match"):
        GaussianPrior(np.zeros(2), np.eye(3), 1.0)
    with pytest.raises(ConfigError, match="parameters"):
        fit("gompertz", _runaway_batch(), prior=GaussianPrior(np.zeros(2), np.eye(2), 1.0))
