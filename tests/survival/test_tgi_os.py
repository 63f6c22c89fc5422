"""TGI-OS link: the step-wise hazard inversion reproduces the Weibull law; the burden term acts."""

from __future__ import annotations

import numpy as np

from oncodyn.patients.config import SurvivalCfg
from oncodyn.survival.tgi_os import (
    baseline_log_hazard,
    burden_log_hazard,
    deaths_in_step,
    hazard_step,
    weibull_cumulative_hazard,
)


def _simulate_deaths(cfg: SurvivalCfg, n: int, eta: float, horizon: int, dt: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    thr = rng.standard_exponential(n)
    cum = np.zeros(n)
    death = np.full(n, np.inf)
    for t in range(0, horizon, dt):
        dh = hazard_step(cfg, float(t), float(dt), np.full(n, eta), 0.0)
        died, day = deaths_in_step(cum, thr, dh, float(t), float(dt))
        cum += dh
        death = np.where(died, day, death)
    return death


def test_step_inversion_reproduces_weibull_survival():
    # constant covariates: P(T > t) = exp(-exp(eta) (t/s)^k) exactly at the step ends (the
    # cumulative hazard is exact there; only the day inside a step is interpolated). n = 40,000:
    # binomial SE <= 0.0025, tolerance 4 SE
    cfg = SurvivalCfg(model="weibull_burden", scale_days=300.0, shape=1.4)
    d = _simulate_deaths(cfg, 40_000, 0.3, 700, 7, seed=1)
    for t in (7, 70, 182, 364, 700):
        expect = np.exp(-np.exp(0.3) * weibull_cumulative_hazard(t, 300.0, 1.4))
        assert abs((d > t).mean() - expect) < 4 * np.sqrt(expect * (1 - expect) / d.size) + 1e-12, t


def test_exponential_case_is_exact_inside_steps():
    # shape 1: the hazard is constant and linear interpolation of H is exact, so the death day is
    # exactly Exp(s): median s ln 2 within 4 SE (SE of a median of n exponentials ~ s / sqrt(n))
    cfg = SurvivalCfg(model="weibull_burden", scale_days=200.0, shape=1.0)
    d = _simulate_deaths(cfg, 40_000, 0.0, 3000, 7, seed=2)
    assert np.isfinite(d).mean() > 0.999
    assert abs(np.median(d) - 200.0 * np.log(2)) < 4 * 200.0 / np.sqrt(d.size)


def test_hazard_terms():
    cfg = SurvivalCfg(model="weibull_burden", burden_log_hr=2.0, burden_offset_mm=10.0,
                      sites_log_hr=0.3, sites_ref=3.0, sld_log_hr=0.5, sld_ref_mm=75.0)
    # no change from baseline -> 0; doubling (B + c) -> g ln 2
    assert burden_log_hazard(cfg, np.array([50.0]), np.array([50.0]))[0] == 0.0
    assert np.isclose(burden_log_hazard(cfg, np.array([110.0]), np.array([50.0]))[0], 2.0 * np.log(2))
    eta = baseline_log_hazard(cfg, np.array([5.0]), np.array([150.0]), np.array([1.5]))
    assert np.isclose(eta[0], 0.3 * 2 + 0.5 * np.log(2) + np.log(1.5))
