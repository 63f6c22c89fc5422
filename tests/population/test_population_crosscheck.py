"""SAEM against an independent implementation: statsmodels MixedLM on a linear mixed model
(exponential growth on log size with correlated random intercept and slope)."""

from __future__ import annotations

import numpy as np
import pytest

from oncodyn.bench.popfit import crosscheck_mixedlm


@pytest.fixture(scope="module")
def both():
    return crosscheck_mixedlm(n=300, scans=6, seed=3)


def _exact_minus2ll(b, om, s2, seed=3, n=300, scans=6):
    """Exact marginal -2LL of the linear mixed model: y_i ~ N(Z b, Z Omega Z^T + s2 I)."""
    rng = np.random.default_rng(seed)
    t = np.arange(scans) * 42.0
    re = rng.standard_normal((n, 2)) @ np.linalg.cholesky(
        np.array([[0.09, -0.0002], [-0.0002, 1e-5]])).T
    z = (3.6 + re[:, :1]) + (-0.002 + re[:, 1:]) * t + 0.1 * rng.standard_normal((n, scans))
    zm = np.column_stack([np.ones(scans), t])
    v = zm @ om @ zm.T + s2 * np.eye(scans)
    r = z - zm @ b
    vi = np.linalg.inv(v)
    return float(np.sum(np.einsum("ni,ij,nj->n", r, vi, r)) + n * np.linalg.slogdet(v)[1]
                 + n * scans * np.log(2 * np.pi))


def test_fixed_effects_and_standard_errors_match_mixedlm(both):
    s, m = both["saem"], both["mixedlm"]
    assert m["converged"]
    # same maximum likelihood problem: estimates differ only by SAEM's Monte Carlo error,
    # a small fraction of the statistical SE
    assert abs(s["a"] - m["a"]) < 0.25 * m["se_a"]
    assert abs(s["k"] - m["k"]) < 0.25 * m["se_k"]
    # Louis' observed information vs MixedLM's, same likelihood at nearly the same estimates:
    # they differ by the Monte Carlo error of the conditional moments (100 draws per series),
    # a few percent
    assert s["se_a"] / m["se_a"] == pytest.approx(1, abs=0.05)
    assert s["se_k"] / m["se_k"] == pytest.approx(1, abs=0.05)


def test_variance_components_match_mixedlm(both):
    s, m = both["saem"], both["mixedlm"]
    # relative SE of a variance estimated from 300 series is about sqrt(2/300) = 8%:
    # agreement within 2% is well inside it
    for key in ("omega_a", "omega_k", "omega_ak", "sigma2"):
        assert s[key] == pytest.approx(m[key], rel=0.02), key


def test_importance_sampling_minus2ll_matches_the_exact_likelihood(both):
    s, m = both["saem"], both["mixedlm"]
    # exact -2LL at SAEM's estimates (computed here in closed form) is at or above the
    # MixedLM optimum, and within a fraction of a unit of it (estimates nearly equal)
    b = np.array([s["a"], s["k"]])
    om = np.array([[s["omega_a"], s["omega_ak"]], [s["omega_ak"], s["omega_k"]]])
    exact = _exact_minus2ll(b, om, s["sigma2"])
    assert m["minus2ll"] - 1e-3 <= exact <= m["minus2ll"] + 0.5
    # the importance-sampling estimate agrees with the exact value within 4 Monte Carlo SE
    assert abs(s["minus2ll"] - exact) < 4 * s["minus2ll_se"]
