"""Calibrated probabilistic forecasts: coverage, P(PD), no leakage, scores and the PD rule."""

from __future__ import annotations

import numpy as np
import pytest

from oncodyn.errors import ConfigError
from oncodyn.inference import SeriesBatch
from oncodyn.inference.forecasters import locf_change, locf_relative, population_method
from oncodyn.inference.predictive import Scale, calibrated_forecast
from oncodyn.inference.scores import brier, covered, interval_score, pd_threshold
from oncodyn.recist.timepoint import pd_by_sum

IDENT = Scale(lambda x: np.asarray(x, float), lambda x: np.asarray(x, float),
              lambda x: np.asarray(x, float), lambda x: np.asarray(x, float), 0.0)
"""Values are diameters in mm already."""
CUBE = Scale(np.cbrt, lambda d: np.asarray(d, float) ** 3, np.cbrt,
             lambda d: np.asarray(d, float) ** 3, 1.0)
"""Values are d^3 (volume-like), calibration on the diameter."""


def test_pd_threshold_agrees_with_the_recist_engine():
    # integer hundredths of a mm, the engine's units (SCALE = 100)
    for nadir in range(0, 6000, 7):
        thr = pd_threshold(nadir / 100.0)
        first = int(np.ceil(thr * 100 - 1e-9))
        assert pd_by_sum(first, nadir) and not pd_by_sum(first - 1, nadir), nadir


def test_interval_score_by_hand_and_proper():
    # inside: width; below: width + 2/alpha * miss; above likewise (Gneiting & Raftery eq. 43)
    s = interval_score([1, 1, 1], [3, 3, 3], [2, 0, 4], 0.1)
    np.testing.assert_allclose(s, [2, 2 + 20, 2 + 20])
    assert np.isnan(interval_score([1], [2], [np.nan], 0.1)[0])
    # properness: for N(0,1) draws the true 95% quantiles beat narrower and wider intervals
    y = np.random.default_rng(0).standard_normal(200_000)
    q = 1.959964
    true = interval_score(-q, q, y, 0.05).mean()
    assert true < interval_score(-1.5, 1.5, y, 0.05).mean()
    assert true < interval_score(-2.5, 2.5, y, 0.05).mean()
    np.testing.assert_allclose(covered(-q, q, y).mean(), 0.95, atol=0.003)
    assert brier([0.2, 0.2], [0, 1]) == pytest.approx((0.04 + 0.64) / 2)


def _random_walks(n=600, k=8, seed=0, drift_sd=0.0):
    """Diameters following a Gaussian random walk in sqrt(time): exchangeable series whose
    changes over dt weeks are N(drift dt, (2 mm)^2 dt)."""
    rng = np.random.default_rng(seed)
    times, values = [], []
    for _ in range(n):
        t = np.cumsum(rng.choice([6.0, 8.0, 12.0], size=k))
        drift = rng.normal(0, drift_sd)
        steps = drift * np.diff(np.r_[0, t]) + 2.0 * np.sqrt(np.diff(np.r_[0, t])) \
            * rng.standard_normal(k)
        times.append(t)
        values.append(60.0 + np.cumsum(steps))
    return SeriesBatch.from_lists(list(range(n)), times, values)


@pytest.mark.parametrize("calibration", ["training", "crossfit"])
def test_coverage_is_nominal_on_exchangeable_series(calibration):
    """600 series x 2 points: binomial SE of a coverage is sqrt(p(1-p)/1200) (1.2 points at
    80%, 0.6 at 95%); the two points of a series are correlated, so allow 4 SE."""
    batch = _random_walks()
    fc = calibrated_forecast(locf_change(IDENT), batch, holdout=2, scale=IDENT, name="lq",
                             calibration=calibration)
    for lev, tol in ((0.8, 4 * 0.0115), (0.95, 4 * 0.0063)):
        cov = np.nanmean(covered(*fc.interval(lev), fc.observed))
        assert abs(cov - lev) < tol, (lev, cov)
    # the 95% interval of a N(0, 4 dt) change has half-width 1.96 * 2 sqrt(dt): check the mean
    dt = fc.t - batch.head(batch.n - 2).t[np.arange(len(batch)), batch.n - 3][:, None]
    half = 0.5 * (fc.interval(0.95)[1] - fc.interval(0.95)[0])
    ratio = np.nanmean(half / (1.96 * 2 * np.sqrt(dt)))
    assert abs(ratio - 1) < 0.1


def test_p_pd_is_calibrated_and_beats_the_base_rate():
    """With heterogeneous drifts, P(PD) from the predictive distribution is calibrated: the
    mean probability matches the event rate (binomial SE sqrt(r(1-r)/n)), and its Brier score
    is below the base-rate forecast's r(1-r)."""
    batch = _random_walks(n=800, drift_sd=0.3, seed=1)
    fc = calibrated_forecast(locf_change(IDENT), batch, holdout=2, scale=IDENT, name="lq",
                             calibration="crossfit")
    ev = fc.pd_event
    rate = np.nanmean(ev)
    assert 0.05 < rate < 0.6
    assert abs(np.nanmean(fc.p_pd) - rate) < 4 * np.sqrt(rate * (1 - rate) / len(ev))
    assert brier(fc.p_pd, ev) < rate * (1 - rate)


def test_a_series_never_calibrates_its_own_interval():
    batch = _random_walks(n=200, seed=2)
    base = calibrated_forecast(locf_relative(CUBE), _cubed(batch), holdout=2, scale=CUBE,
                               name="r", calibration="crossfit")
    # change the held-out values of series 0 wildly: its own forecast must not move
    y = batch.y.copy()
    y[0, batch.n[0] - 2:batch.n[0]] *= 3.0
    moved = calibrated_forecast(locf_relative(CUBE), _cubed(SeriesBatch(batch.ids, batch.t, y,
                                                                        batch.n)),
                                holdout=2, scale=CUBE, name="r", calibration="crossfit")
    np.testing.assert_array_equal(base.lower[:, 0], moved.lower[:, 0])
    np.testing.assert_array_equal(base.upper[:, 0], moved.upper[:, 0])
    assert base.p_pd[0] == moved.p_pd[0]
    # while series of the other folds see it (it is in their calibration set)
    assert not np.array_equal(base.upper[:, 1:], moved.upper[:, 1:])


def _cubed(batch):
    return SeriesBatch(batch.ids, batch.t, np.maximum(batch.y, 0.0) ** 3, batch.n)


def test_population_forecaster_is_seeded_and_reproducible():
    batch = _cubed(_random_walks(n=120, seed=3))
    m = population_method("exponential", CUBE, n_draws=50, seed=4)
    a = calibrated_forecast(m, batch, holdout=2, scale=CUBE, name="p", seed=5)
    b = calibrated_forecast(m, batch, holdout=2, scale=CUBE, name="p", seed=5)
    np.testing.assert_array_equal(a.lower, b.lower)
    np.testing.assert_array_equal(a.p_pd, b.p_pd)
    assert np.all(np.isfinite(a.point[np.isfinite(a.t)]))
    assert np.all(a.lower <= a.upper)
    assert np.all((a.p_pd >= 0) & (a.p_pd <= 1))
    frame = a.to_frame()
    assert {"lower_80", "upper_95", "p_pd", "observed"} <= set(frame.columns)
    assert frame["p_pd"].notna().sum() == len(batch)  # one P(PD) per series, at its next scan


def test_bad_options_are_config_errors():
    batch = _random_walks(n=20)
    with pytest.raises(ConfigError, match="calibration"):
        calibrated_forecast(locf_change(IDENT), batch, holdout=2, scale=IDENT, name="x",
                            calibration="oracle")
    with pytest.raises(ConfigError, match="holdout"):
        calibrated_forecast(locf_change(IDENT), batch, holdout=0, scale=IDENT, name="x")


def test_forecast_ahead_covers_unseen_future_scans():
    """Hide each series' last scan, forecast it from the rest: 600 hidden points, binomial SE
    of a coverage 1.6 points at 80%, 0.9 at 95%; allow 4 SE."""
    from oncodyn.inference.predictive import forecast_ahead

    full = _random_walks(n=600, seed=6)
    known = full.head(full.n - 1)
    rows = np.arange(len(full))
    t_next = full.t[rows, full.n - 1][:, None]
    y_next = full.y[rows, full.n - 1][:, None]
    fc = forecast_ahead(locf_change(IDENT), known, t_next, scale=IDENT, name="lq")
    for lev, tol in ((0.8, 4 * 0.016), (0.95, 4 * 0.009)):
        cov = np.mean(covered(*fc.interval(lev), y_next))
        assert abs(cov - lev) < tol, (lev, cov)
    assert np.all(np.isfinite(fc.p_pd))
    with pytest.raises(ConfigError, match="t_new"):
        forecast_ahead(locf_change(IDENT), known, t_next[:5], scale=IDENT, name="lq")


def _trend_with_draws(train, t_new):
    """A method with random trends: each call draws them afresh from the same seed."""
    from oncodyn.inference.forecasters import last_values
    from oncodyn.inference.predictive import CentreSpread

    _, y_last = last_values(train)
    rng = np.random.default_rng(0)
    trend = rng.normal(0.0, 1.0, t_new.shape)
    return CentreSpread(spread=np.ones(t_new.shape), last=y_last, trend=trend)


def test_forecast_ahead_of_one_time_does_not_depend_on_the_other_times_asked():
    from oncodyn.inference.predictive import forecast_ahead

    known = _random_walks(n=80, seed=3)
    t_last = known.t[np.arange(len(known)), known.n - 1]
    t_new = t_last[:, None] + np.array([[6.0, 12.0, 24.0]])
    many = forecast_ahead(_trend_with_draws, known, t_new, scale=IDENT, name="m", n_folds=4)
    one = forecast_ahead(_trend_with_draws, known, t_new[:, 2:], scale=IDENT, name="m",
                         n_folds=4)
    np.testing.assert_array_equal(many.point[:, 2], one.point[:, 0])
    np.testing.assert_array_equal(many.lower[:, :, 2], one.lower[:, :, 0])
    np.testing.assert_array_equal(many.upper[:, :, 2], one.upper[:, :, 0])
    with pytest.raises(ConfigError, match="no future time"):
        forecast_ahead(_trend_with_draws, known, t_new[:, :0], scale=IDENT, name="m")


@pytest.mark.parametrize("method", [locf_change(IDENT), _trend_with_draws])
def test_cross_fitted_forecast_ahead_is_calibrated_forecast_of_appended_unseen_scans(method):
    """forecast_ahead(n_folds=K, holdout=1) gives, for each future time, what
    calibrated_forecast(holdout=1, calibration="training") gives on the series with that time
    appended unobserved: one calibration rule, two entry points."""
    from oncodyn.inference.predictive import forecast_ahead

    known = _random_walks(n=120, seed=5)
    b = len(known)
    rows = np.arange(b)
    t_new = known.t[rows, known.n - 1][:, None] + np.array([[6.0, 14.0]])
    ahead = forecast_ahead(method, known, t_new, scale=IDENT, name="m", holdout=1, n_folds=5,
                           seed=9)
    for k in range(t_new.shape[1]):
        t = np.hstack([known.t, np.full((b, 1), np.nan)])
        y = np.hstack([known.y, np.full((b, 1), np.nan)])
        t[rows, known.n] = t_new[:, k]
        appended = SeriesBatch(known.ids, t, y, known.n + 1)
        cal = calibrated_forecast(method, appended, holdout=1, scale=IDENT, name="m", n_folds=5,
                                  seed=9, calibration="training")
        np.testing.assert_array_equal(ahead.point[:, k], cal.point[:, 0])
        np.testing.assert_array_equal(ahead.lower[:, :, k], cal.lower[:, :, 0])
        np.testing.assert_array_equal(ahead.upper[:, :, k], cal.upper[:, :, 0])
        if k == 0:
            np.testing.assert_array_equal(ahead.p_pd, cal.p_pd)


def test_memo_by_batch_reuses_only_identical_arguments():
    from oncodyn.inference.forecasters import memo_by_batch

    calls = []

    def fn(batch, t_new):
        calls.append(1)
        return float(np.nansum(batch.y)) + float(np.nansum(t_new))

    memo = memo_by_batch(fn)
    known = _random_walks(n=5, seed=1)
    t_new = np.array([[1.0], [2.0], [np.nan], [4.0], [5.0]])
    first = memo(known, t_new)
    assert memo(known, t_new.copy()) == first and len(calls) == 1
    moved = known.y.copy()
    moved[0, 0] += 1.0  # same lengths and times, another value: recomputed
    assert memo(SeriesBatch(known.ids, known.t, moved, known.n), t_new) == first + 1.0
    t_nan = t_new.copy()
    t_nan[0, 0] = np.nan  # a NaN where there was a time: recomputed
    memo(known, t_nan)
    assert len(calls) == 3


def test_last_point_of_each_series_is_nan_for_an_empty_series():
    batch = SeriesBatch.from_lists(["a", "b", "c"], [[1.0, 5.0], [], [2.0]],
                                   [[10.0, 11.0], [], [7.0]])
    t_last, y_last = batch.last()
    np.testing.assert_array_equal(t_last, [5.0, np.nan, 2.0])
    np.testing.assert_array_equal(y_last, [11.0, np.nan, 7.0])
    empty = SeriesBatch.from_lists(["a"], [[]], [[]])
    assert np.isnan(empty.last()[0]).all() and empty.t.shape == (1, 0)
