"""Two-arm statistics: Cox HR, log-rank, ORR difference (oracles from known distributions and
closed forms)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncodyn.trials.analysis import ArmData, compare_arms, hazard_ratio, orr_difference


def test_cox_hr_recovers_the_true_hazard_ratio_under_censoring():
    rng = np.random.default_rng(20)
    n = 1500
    t_c = rng.exponential(100.0, n)  # hazard 1/100
    t_e = rng.exponential(200.0, n)  # hazard 1/200: HR 0.5
    c = rng.uniform(0, 300, 2 * n)   # independent censoring
    tt = np.minimum(np.r_[t_c, t_e], c)
    ee = np.r_[t_c, t_e] <= c
    r = hazard_ratio(tt[:n], ee[:n], tt[n:], ee[n:])
    d = r["events_control"] + r["events_experimental"]
    # SE of log HR ~ sqrt(1/d_c + 1/d_e) (Cox information at HR near 1/2, balanced arms): 4 SE
    se = math.sqrt(1 / r["events_control"] + 1 / r["events_experimental"])
    assert abs(math.log(r["estimate"]) - math.log(0.5)) < 4 * se
    assert r["ci_low"] < 0.5 < r["ci_high"]
    # Wald CI width on the log scale is 2 z se (z = 1.96), se within 20% of the approximation
    width = math.log(r["ci_high"]) - math.log(r["ci_low"])
    assert width == pytest.approx(2 * 1.959964 * se, rel=0.2)
    assert r["p"] < 1e-10 and d > 1000


def test_hr_not_estimable_without_events_in_an_arm():
    t = np.array([10.0, 20.0, 30.0])
    r = hazard_ratio(t, np.zeros(3, bool), t, np.ones(3, bool))
    assert math.isnan(r["estimate"]) and r["p"] == 1.0


def _wilson(k, n, z=1.959963984540054):
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return c - h, c + h


def test_orr_difference_is_newcombe_hybrid_score_interval():
    k_e, n_e, k_c, n_c = 18, 100, 7, 100
    exp = ArmData(np.arange(n_e) < k_e, np.ones(n_e), np.ones(n_e, bool))
    ctl = ArmData(np.arange(n_c) < k_c, np.ones(n_c), np.ones(n_c, bool))
    r = orr_difference(ctl, exp)
    p1, p2 = k_e / n_e, k_c / n_c
    l1, u1 = _wilson(k_e, n_e)
    l2, u2 = _wilson(k_c, n_c)
    d = p1 - p2
    # Newcombe (1998) method 10
    assert r["estimate"] == pytest.approx(d)
    assert r["ci_low"] == pytest.approx(d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), abs=1e-9)
    assert r["ci_high"] == pytest.approx(d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2), abs=1e-9)
    assert 0 < r["p"] < 0.05


def test_orr_success_agrees_with_the_reported_interval():
    n = 60
    for k_e in range(0, 25, 4):
        for k_c in range(0, 25, 4):
            exp = ArmData(np.arange(n) < k_e, np.ones(n), np.ones(n, bool))
            ctl = ArmData(np.arange(n) < k_c, np.ones(n), np.ones(n, bool))
            r = compare_arms(ctl, exp, ["orr"])["orr"]
            assert r["success"] == float(r["ci_low"] > 0)
            assert r["reject"] == float(r["ci_low"] > 0 or r["ci_high"] < 0)


def test_no_responder_in_either_arm_is_no_difference():
    z = np.zeros(50, bool)
    a = ArmData(z, np.ones(50), np.ones(50, bool))
    r = orr_difference(a, a)
    assert r["estimate"] == 0.0 and r["p"] == 1.0 and r["ci_low"] < 0 < r["ci_high"]


def test_success_needs_significance_in_favour_of_the_experimental_arm():
    rng = np.random.default_rng(3)
    n = 400
    good = ArmData(rng.random(n) < 0.3, rng.exponential(200.0, n), np.ones(n, bool),
                   rng.exponential(400.0, n), np.ones(n, bool))
    bad = ArmData(rng.random(n) < 0.1, rng.exponential(100.0, n), np.ones(n, bool),
                  rng.exponential(200.0, n), np.ones(n, bool))
    fwd = compare_arms(bad, good, ["orr", "pfs", "os"])
    rev = compare_arms(good, bad, ["orr", "pfs", "os"])
    assert fwd["orr"]["ci_low"] > 0 and rev["orr"]["ci_high"] < 0
    for ep in ("orr", "pfs", "os"):
        assert fwd[ep]["success"] == 1.0 and fwd[ep]["reject"] == 1.0
        assert rev[ep]["success"] == 0.0 and rev[ep]["reject"] == 1.0  # significant, but worse
