"""Calibration recovers known parameters; statuses never report a failure as success."""

from __future__ import annotations

import numpy as np
import pytest

from oncodyn.inference import FitStatus, SeriesBatch, fit, forecast, locf
from oncodyn.models import get_model

T = np.array([0.0, 42, 84, 126, 168, 210, 252, 294])


def _batch(model, params, noise_sd, seed, t=T):
    rng = np.random.default_rng(seed)
    clean = model.predict(t, params)
    y = clean + rng.normal(0.0, noise_sd, size=clean.shape)
    n = len(params)
    return SeriesBatch.from_lists([f"s{i}" for i in range(n)], [t] * n, list(y)), clean


@pytest.mark.parametrize("law", ["exponential", "logistic", "gompertz", "classical_bertalanffy"])
def test_noise_free_recovery_is_exact(law):
    m = get_model(law)
    rng = np.random.default_rng(1)
    p = np.tile(m.defaults, (20, 1))
    p[:, 0] = rng.uniform(5e3, 5e4, 20)
    if m.n_params == 3:
        p[:, 1] = p[:, 0] * rng.uniform(0.3, 3.0, 20)
        p[:, 2] = rng.uniform(0.005, 0.02, 20)
    else:
        p[:, 1] = rng.uniform(-0.005, 0.005, 20)
    batch, _ = _batch(m, p, 0.0, 0)
    res = fit(m, batch)
    assert all(s is FitStatus.CONVERGED for s in res.status)
    # zero-residual problem: LM converges quadratically, the loss is ~ rounding of the data
    pred = res.predict(T)
    np.testing.assert_allclose(pred, batch.y, rtol=1e-6)


def test_gompertz_recovery_within_standard_errors():
    """With Gaussian noise, (estimate - truth)/se ~ Student t on n - p = 5 dof (Seber & Wild 1989
    §5.1), so the 95% t-interval covers the truth for ~95% of series. With 200 series the
    binomial SE of a coverage is 1.5%; we accept [90%, 99%] (about 3 SE each side).
    """
    from scipy import stats

    m = get_model("gompertz")
    n = 200
    rng = np.random.default_rng(7)
    p = np.column_stack([rng.uniform(8e3, 1.2e4, n), rng.uniform(2.5e4, 3.5e4, n),
                         rng.uniform(0.008, 0.012, n)])
    sd = 300.0
    batch, _ = _batch(m, p, sd, 11)
    res = fit(m, batch)
    ok = res.success
    assert ok.mean() > 0.97
    z = (res.params[ok] - p[ok]) / res.se[ok]
    q = stats.t.ppf(0.975, len(T) - 3)
    coverage = np.mean(np.abs(z) < q, axis=0)
    assert np.all((coverage > 0.90) & (coverage < 0.99)), coverage
    # residual SD estimate: E[s^2] = sd^2; with 5 dof per series the mean over 200 series has
    # relative SE sqrt(2/5)/sqrt(200) = 4.5%; allow 4 SE
    assert abs(np.mean(res.sigma[ok] ** 2) / sd**2 - 1) < 0.18


def test_status_never_reports_nan_as_success():
    m = get_model("gompertz")
    ids = ["two_points", "nan_values", "good"]
    t = [np.array([0.0, 10.0]), np.array([0.0, 10, 20, 30]), np.array([0.0, 10, 20, 30, 40])]
    y = [np.array([1.0, 2.0]), np.array([np.nan, np.nan, np.nan, np.nan]),
         np.array([1.0, 1.3, 1.6, 1.8, 1.9])]
    res = fit(m, SeriesBatch.from_lists(ids, t, y))
    assert res.status[0] is FitStatus.TOO_FEW_POINTS
    assert res.status[1] is FitStatus.TOO_FEW_POINTS  # no finite point at all
    assert res.status[2] is FitStatus.CONVERGED
    assert np.all(np.isnan(res.params[:2]))
    assert not res.success[:2].any()
    for s, msg in zip(res.status, res.message, strict=True):
        assert msg  # every status carries a message
        if s is FitStatus.CONVERGED:
            assert np.all(np.isfinite(res.params[2]))


def test_proportional_and_log_scale_recover_heteroscedastic_data():
    m = get_model("exponential")
    n = 100
    rng = np.random.default_rng(3)
    p = np.column_stack([rng.uniform(100, 1000, n), rng.uniform(-0.004, 0.004, n)])
    clean = m.predict(T, p)
    y = clean * np.exp(rng.normal(0, 0.05, clean.shape))  # 5% multiplicative noise
    batch = SeriesBatch.from_lists(list(range(n)), [T] * n, list(y))
    for kw in ({"error": "proportional"}, {"scale": "log"}, {"error": "combined"}):
        res = fit(m, batch, **kw)
        assert res.success.all(), kw
        # growth-rate SE for log-linear regression: 0.05 / sqrt(sum (t - tbar)^2)
        se = 0.05 / np.sqrt(np.sum((T - T.mean()) ** 2))
        assert np.mean(np.abs(res.params[:, 1] - p[:, 1]) < 4 * se) > 0.97, kw


def test_information_criteria_prefer_the_true_nested_law():
    """Data from a logistic law: GB (one extra parameter) must not win AIC on average."""
    m = get_model("logistic")
    n = 60
    rng = np.random.default_rng(5)
    p = np.column_stack([rng.uniform(8e3, 1.2e4, n), rng.uniform(2.5e4, 3.5e4, n),
                         rng.uniform(0.008, 0.012, n)])
    batch, _ = _batch(m, p, 200.0, 2)
    a_log = fit("logistic", batch).aic
    a_gb = fit("bertalanffy", batch).aic
    # the extra parameter costs 2 in AIC and its LR statistic is ~chi2(1): GB wins only when
    # chi2 > 2, probability 0.157; allow up to 35% over 60 series
    assert np.mean(a_gb < a_log) < 0.35


def test_fixed_parameters_are_held():
    m = get_model("bertalanffy")
    p = np.tile(m.params(v0=1e4, v_inf=3e4, omega=0.01, lam=0.0), (5, 1))
    batch, _ = _batch(m, p, 0.0, 0)
    res = fit(m, batch, fixed={"lam": 0.0})
    assert np.all(res.params[:, 3] == 0.0)
    np.testing.assert_allclose(res.params[:, :3], p[:, :3], rtol=1e-4)


def test_forecast_interval_coverage():
    """90% prediction intervals cover ~90% of held-out points (binomial SE 1.1% with 800 points)."""
    m = get_model("exponential")
    n = 400
    rng = np.random.default_rng(9)
    p = np.column_stack([rng.uniform(1e3, 2e3, n), rng.uniform(-0.003, 0.003, n)])
    batch, _ = _batch(m, p, 50.0, 4)
    fc = forecast(m, batch, holdout=2, level=0.9)
    inside = (batch.tail(batch.n - 2).y >= fc.lower) & (batch.tail(batch.n - 2).y <= fc.upper)
    cov = inside[np.isfinite(fc.mean)].mean()
    assert 0.84 < cov < 0.96


def test_locf_repeats_last_calibration_value():
    b = SeriesBatch.from_lists(["a"], [[0, 1, 2, 3]], [[5.0, 6.0, 7.0, 9.0]])
    np.testing.assert_array_equal(locf(b, holdout=2), [[6.0, 6.0]])


def test_series_batch_from_frame_groups_and_sorts():
    import pandas as pd

    df = pd.DataFrame({"subject": ["b", "a", "a", "b"], "time": [2.0, 1.0, 0.0, 1.0],
                       "size": [4.0, 2.0, 1.0, 3.0]})
    b = SeriesBatch.from_frame(df, by=("subject",))
    assert b.ids == ("a", "b")
    np.testing.assert_array_equal(b.y, [[1.0, 2.0], [3.0, 4.0]])


def test_fit_frame_volume_vs_diameter():
    """Diameters from an exponential volume law are fitted exactly on the volume scale, and
    the diameter-scale exponential rate is one third of the volume rate (V ~ d^3)."""
    import pandas as pd

    from oncodyn.inference import fit_frame, volume_to_diameter

    t = np.array([0.0, 42, 84, 126, 168])
    v = 1e4 * np.exp(0.006 * t)
    df = pd.DataFrame({"subject": "a", "series": "L1", "time": t, "size": volume_to_diameter(v)})
    rv = fit_frame("exponential", df, observable="volume")
    rd = fit_frame("exponential", df, observable="diameter")
    np.testing.assert_allclose(rv.params[0], [1e4, 0.006], rtol=1e-6)
    np.testing.assert_allclose(rd.params[0, 1], 0.002, rtol=1e-6)


def test_bad_requests_are_config_errors():
    from oncodyn.errors import ConfigError

    b = SeriesBatch.from_lists(["a"], [[0.0, 1, 2, 3]], [[1.0, 2, 3, 4]])
    with pytest.raises(ConfigError, match="empty"):
        fit("gompertz", SeriesBatch.from_lists([], [], []))
    with pytest.raises(ConfigError, match="unknown parameter"):
        fit("gompertz", b, fixed={"zzz": 1.0})
    with pytest.raises(ConfigError, match="holdout"):
        forecast("gompertz", b, holdout=0)
    with pytest.raises(ConfigError, match="n_fit"):
        forecast("gompertz", b, n_fit=-1)
    with pytest.raises(ConfigError, match="scale"):
        fit("gompertz", b, scale="sqrt")


def test_locf_and_forecast_on_series_too_short_for_the_holdout():
    b = SeriesBatch.from_lists(["short", "ok"], [[0.0, 1, 2], [0.0, 1, 2, 3, 4]],
                               [[1.0, 1.0, 1.0], [1.0, 2, 3, 4, 5]])
    lo = locf(b, holdout=3)
    assert np.all(np.isnan(lo[0]))          # no calibration value left: no forecast
    np.testing.assert_array_equal(lo[1, :3], [2.0, 2.0, 2.0])
    fc = forecast("exponential", b, holdout=3)
    assert fc.fit.status[0] is FitStatus.TOO_FEW_POINTS
    assert np.all(np.isnan(fc.mean[0]))


def test_messages_flag_nonpositive_and_missing_values():
    b = SeriesBatch.from_lists(["neg", "gap"], [[0.0, 1, 2, 3, 4], [0.0, 1, 2, 3, 4]],
                               [[-1.0, -2, -3, -4, -5], [1.0, np.nan, 1.5, 2.0, 2.5]])
    res = fit("exponential", b)
    assert "<= 0" in res.message[0]
    assert "1 missing value(s) ignored" in res.message[1]
