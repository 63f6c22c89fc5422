"""statsmodels survival statistics against oncodyn's NumPy Kaplan–Meier and hand arithmetic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncodyn.errors import DataError
from oncodyn.survival import kaplan_meier, median_ci
from oncodyn.survival.estimators import cox, km_statsmodels, logrank, median_ci_statsmodels

T6 = np.array([1, 2, 3, 4, 5, 6.0])
E6 = np.array([1, 1, 0, 1, 1, 0])


def test_statsmodels_km_equals_hand_values():
    # the same oracle as oncodyn.survival.km: S = 5/6, 2/3, 4/9, 2/9 at the event times
    sf = km_statsmodels(T6, E6)
    assert np.allclose(sf.surv_prob, [5 / 6, 2 / 3, 4 / 9, 2 / 9])
    assert sf.surv_prob_se[0] == pytest.approx(np.sqrt(25 / 36 / 30))
    med, lo, hi = median_ci_statsmodels(T6, E6)
    assert (med, lo, hi) == (4.0, 2.0, float("inf"))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numpy_km_and_statsmodels_agree_on_censored_samples(seed):
    rng = np.random.default_rng(seed)
    t = np.round(rng.exponential(300.0, 400), 0)  # ties on purpose
    c = rng.uniform(0, 700, 400)
    time, event = np.minimum(t, c), t <= c
    ours, sm = kaplan_meier(time, event), km_statsmodels(time, event)
    assert np.allclose(ours.time, sm.surv_times) and np.allclose(ours.survival, sm.surv_prob)
    assert np.allclose(ours.se, sm.surv_prob_se, rtol=1e-9, atol=1e-12)
    m = median_ci(time, event)
    assert (m.median, m.lower, m.upper) == pytest.approx(median_ci_statsmodels(time, event))


def test_both_implementations_agree_on_poplar_os(shared_file):
    df = pd.read_csv(shared_file("data/trials/POPLAR_Clinical_Data.csv"), na_values=".")
    arm = df[df.TRT01P == "Docetaxel"]
    t, e = arm.OS.to_numpy(float), arm["OS.CNSR"].to_numpy() == 0
    m = median_ci(t, e)
    assert (m.median, m.lower, m.upper) == pytest.approx(median_ci_statsmodels(t, e))
    assert 9.0 < m.median < 10.5  # POPLAR docetaxel median OS 9.7 months (data README)


def test_cox_recovers_a_known_hazard_ratio():
    # exponential times, binary covariate with log HR 0.7, 20% censored at random: the Cox
    # estimate lies within 4 of its standard errors of the truth
    rng = np.random.default_rng(5)
    n = 4000
    x = rng.random(n) < 0.5
    t = rng.exponential(1.0 / (0.01 * np.exp(0.7 * x)))
    c = rng.exponential(400.0, n)
    fit = cox(np.minimum(t, c), t <= c, x.astype(float))
    assert abs(fit.params[0] - 0.7) < 4 * fit.se[0]
    assert fit.lower[0] < fit.params[0] < fit.upper[0]
    assert fit.hazard_ratio[0] == pytest.approx(np.exp(fit.params[0]))


def test_logrank_matches_hand_formula():
    rng = np.random.default_rng(3)
    t = np.round(rng.exponential(100.0, 60))
    e = rng.random(60) < 0.8
    g = np.repeat([0, 1], 30)
    # hand log-rank: sum over event times of O - E for group 1 and its hypergeometric variance
    o_e = v = 0.0
    for s in np.unique(t[e]):
        at = t >= s
        n_, n1 = at.sum(), (at & (g == 1)).sum()
        d = (e & (t == s)).sum()
        d1 = (e & (t == s) & (g == 1)).sum()
        o_e += d1 - d * n1 / n_
        if n_ > 1:
            v += d * (n1 / n_) * (1 - n1 / n_) * (n_ - d) / (n_ - 1)
    chi2, p = logrank(t, e, g)
    assert chi2 == pytest.approx(o_e**2 / v, rel=1e-9)
    assert 0 < p <= 1


def test_bad_survival_input_is_an_error():
    with pytest.raises(DataError, match="time"):
        km_statsmodels(np.array([1.0, np.nan]), np.array([1, 0]))
    with pytest.raises(DataError, match="one finite row"):
        cox(np.array([1.0, 2.0]), np.array([1, 1]), np.ones((3, 1)))
