"""Bad input to the population API: clear errors naming what is wrong; nothing silently lost."""

from __future__ import annotations

import numpy as np
import pytest

from oncodyn.errors import ConfigError, DataError, OncodynError
from oncodyn.inference import SeriesBatch
from oncodyn.population import Covariates, ErrorModel, fit_population, simulate_population


@pytest.fixture(scope="module")
def small():
    sim = simulate_population("stein_gd", {"y0": 50.0, "g": 0.002, "d": 0.01},
                              {"y0": 0.1, "g": 0.2, "d": 0.2},
                              ErrorModel("proportional", b=0.1), np.arange(5) * 42.0, 40, seed=2)
    return sim.batch


@pytest.mark.parametrize("kwargs, match", [
    ({"error": "multiplicative"}, "error must be one of"),
    ({"omega": "block"}, "omega must be"),
    ({"random": ("y0", "kg")}, "unknown parameter"),
    ({"n_iter": 5}, "at least 10"),
    ({"n_iter": (10, 0)}, "positive"),
    ({"init": {"v0": 1.0}}, "unknown parameter"),
])
def test_bad_options_raise_config_errors(small, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        fit_population("stein_gd", small, **kwargs)


def test_unknown_model_is_a_config_error(small):
    with pytest.raises(ConfigError, match="unknown model"):
        fit_population("stein_xyz", small)


def test_covariate_problems_name_the_covariate(small):
    n = len(small)
    with pytest.raises(DataError, match="'ecog'.*missing"):
        vals = np.r_[np.zeros(n - 1), np.nan]
        fit_population("stein_gd", small, covariates=Covariates({"ecog": vals}, {"g": ["ecog"]}))
    with pytest.raises(DataError, match="'arm' has 3 values for 40 series"):
        fit_population("stein_gd", small,
                       covariates=Covariates({"arm": np.array(["A", "B", "A"])}, {"g": ["arm"]}))
    with pytest.raises(DataError, match="one level only"):
        fit_population("stein_gd", small,
                       covariates=Covariates({"arm": np.array(["A"] * n)}, {"g": "arm"}))
    with pytest.raises(ConfigError, match="unknown parameter 'kg'"):
        fit_population("stein_gd", small,
                       covariates=Covariates({"age": np.arange(n, dtype=float)}, {"kg": ["age"]}))
    with pytest.raises(DataError, match="value <= 0"):
        fit_population("stein_gd", small, covariates=Covariates(
            {"size": np.r_[0.0, np.ones(n - 1)]}, {"y0": ["size"]}, log=("size",)))


def test_series_without_readings_are_left_out_and_named(small):
    t = np.vstack([small.t, np.full((1, small.t.shape[1]), np.nan)])
    y = np.vstack([small.y, np.full((1, small.y.shape[1]), np.nan)])
    batch = SeriesBatch(small.ids + ("empty",), t, y, np.r_[small.n, 0])
    fit = fit_population("stein_gd", batch, n_iter=(20, 10))
    assert fit.n_series == 40 and len(fit) == 41
    assert not fit.used[-1] and np.all(np.isnan(fit.ebe[-1]))
    assert any("'empty'" in m and "left out" in m for m in fit.messages)


def test_no_usable_reading_at_all_is_a_data_error():
    batch = SeriesBatch((1, 2), np.full((2, 2), np.nan), np.full((2, 2), np.nan), np.zeros(2, int))
    with pytest.raises(DataError, match="no series has a finite reading"):
        fit_population("stein_gd", batch)


def test_every_error_is_an_oncodyn_error():
    assert issubclass(ConfigError, OncodynError) and issubclass(DataError, OncodynError)


def test_readings_with_missing_values_are_counted_in_the_messages(small):
    y = small.y.copy()
    y[0, 2] = np.nan
    y[3, 1] = np.inf
    batch = SeriesBatch(small.ids, small.t, y, small.n)
    fit = fit_population("stein_gd", batch, n_iter=(20, 10))
    assert fit.n_obs == int(small.n.sum()) - 2
    assert any(m.startswith("2 readings with a missing") for m in fit.messages)
