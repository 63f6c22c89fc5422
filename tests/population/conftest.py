"""Shared simulated populations for the population tests (module-scoped: fitted once)."""

from __future__ import annotations

import numpy as np
import pytest

from oncodyn.population import ErrorModel, fit_population, simulate_population

#: Stein-Fojo docetaxel typical values (per day) and IIV variances: Struemper 2025 CPT
#: Pharmacometrics Syst Pharmacol 14:1006 Tables 2-3 (MODELS.md sec. 5), diagonal part.
STEIN_THETA = {"y0": 86.07, "g": 0.01822 / 7, "d": 0.03566 / 7}
STEIN_OMEGA = {"y0": 0.2645, "g": 0.8715, "d": 0.9174}
SCANS = np.arange(8) * 42.0  # baseline + every 6 weeks (RECIST schedule), days


@pytest.fixture(scope="session")
def moderate_population():
    """500 series x 8 scans of stein_gd with moderate IIV and a 10% proportional error."""
    truth = {"y0": 60.0, "g": 0.002, "d": 0.01}
    omega = {"y0": 0.1, "g": 0.3, "d": 0.3}
    sim = simulate_population("stein_gd", truth, omega, ErrorModel("proportional", b=0.1),
                              SCANS, 800, seed=11)
    fit_batch = sim.batch.subset(np.arange(500))
    fit = fit_population("stein_gd", fit_batch, error="proportional", seed=3, n_iter=(150, 100))
    return sim, fit


#: covariate effects used to simulate ``covariate_fit`` (transformed scale)
ARM_EFFECT_ON_G = 0.7     # log g higher by 0.7 in arm "B"
AGE_EFFECT_ON_D = -0.03   # log d per year of age, centred at the median


@pytest.fixture(scope="session")
def covariate_fit():
    """600 series: arm (categorical) acting on g, age (continuous) acting on d."""
    from oncodyn.population import Covariates

    n = 600
    rng = np.random.default_rng(21)
    arm = np.where(rng.uniform(size=n) < 0.4, "B", "A")
    age = rng.normal(62, 9, n)
    shift = np.zeros((n, 3))
    shift[:, 1] = ARM_EFFECT_ON_G * (arm == "B")
    shift[:, 2] = AGE_EFFECT_ON_D * (age - np.median(age))
    sim = simulate_population("stein_gd", {"y0": 60.0, "g": 0.002, "d": 0.01},
                              {"y0": 0.1, "g": 0.3, "d": 0.3},
                              ErrorModel("proportional", b=0.1), SCANS, n, seed=22, shift=shift)
    cov = Covariates({"arm": arm, "age": age}, effects={"g": ["arm"], "d": ["age"]})
    fit = fit_population("stein_gd", sim.batch, covariates=cov, seed=1, n_iter=(150, 100))
    return fit, sim.batch, cov


@pytest.fixture(scope="session")
def truth():
    """The constants behind the simulated populations of this folder."""
    from types import SimpleNamespace

    return SimpleNamespace(stein_theta=STEIN_THETA, stein_omega=STEIN_OMEGA, scans=SCANS,
                           arm_effect_on_g=ARM_EFFECT_ON_G, age_effect_on_d=AGE_EFFECT_ON_D)
