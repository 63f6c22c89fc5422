"""Oracles for the growth and response laws: closed forms, nadir times, published numbers.

Tolerances
----------
* closed form vs another closed form of the same function: 1e-12 relative (round-off only).
* ODE vs closed form: the solver runs at rtol 1e-9 (``solve_ode`` default); global error stays
  below ~1e3 local steps x rtol, so 1e-6 relative.
* argmin on a grid of step h: for a unimodal curve the grid argmin lies within h of the true
  minimiser.
* published numbers: half a unit of the last printed digit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncodyn.models import get_model, solve_ode

ODE_RTOL = 1e-6
WEEK = 7.0


def _grid_argmin(model, p, horizon, h, exposure=None):
    t = np.arange(0.0, horizon + h, h)
    y = model.predict(t, p, exposure=exposure, method="closed")
    i = int(np.argmin(y))
    assert 0 < i < t.size - 1, "minimum must be interior"
    return t[i]


# ------------------------------------------------------------------ Claret
def test_claret_nadir_time_is_argmin_of_closed_form():
    m = get_model("claret")
    p = m.defaults
    exposure = 0.765  # g/day, FU 425 mg/m2 x 1.8 m2 (MODELS.md sec. 4)
    y0, kl, kd, lam = p
    ttg = math.log(kd * exposure / kl) / lam
    h = 0.05
    assert abs(_grid_argmin(m, p, 3 * ttg, h, exposure) - ttg) <= h
    # the ODE right-hand side vanishes at TTG (d ln y/dt = KL - KD E e^{-lam TTG} = 0)
    y_ttg = m.predict(np.array([ttg]), p, exposure=exposure)
    dy = m.rhs(ttg, y_ttg[None, :], p[None, :], np.array([exposure]), np)
    assert abs(float(dy[0, 0])) <= 1e-12 * float(y_ttg[0]) * kl


def test_claret_defaults_are_published_weekly_values_per_day():
    m = get_model("claret")
    np.testing.assert_allclose(m.defaults[1:], np.array([0.015, 0.058, 0.042]) / WEEK, rtol=1e-15)


def test_claret_lambda_zero_is_log_kill_exponential():
    # lam = 0: no resistance, y = y0 exp((KL - KD E) t) (the lam -> 0 branch of the closed form)
    m = get_model("claret")
    p = m.params(lam=0.0)
    t = np.linspace(0, 400, 41)
    e = 0.765
    want = p[0] * np.exp((p[1] - p[2] * e) * t)
    np.testing.assert_allclose(m.predict(t, p, exposure=e), want, rtol=1e-12)
    np.testing.assert_allclose(m.predict(t, p, exposure=e, method="ode"), want, rtol=ODE_RTOL)
    # and lam tiny > 0 is continuous with lam = 0: |(1-e^{-lam t})/lam - t| <= lam t^2 / 2
    lam = 1e-8
    y_small = m.predict(t, m.params(lam=lam), exposure=e)
    bound = p[2] * e * lam * t**2 / 2
    assert np.all(np.abs(np.log(y_small) - np.log(want)) <= bound * 1.0001 + 1e-15)


def test_claret_piecewise_exposure_matches_piecewise_closed_form():
    # E = e on [0, T), 0 after: closed form up to T, then pure exponential growth at KL
    m = get_model("claret")
    p = m.defaults
    e, T = 0.765, 84.0
    t = np.linspace(0, 365, 74)
    y = m.predict(t, p, exposure=lambda s: e if s < T else 0.0)
    y_T = m.predict(np.array([T]), p, exposure=e)[0]
    want = np.where(t < T, m.predict(t, p, exposure=e), y_T * np.exp(p[1] * (t - T)))
    np.testing.assert_allclose(y, want, rtol=ODE_RTOL)


def test_claret_ts_reproduces_published_ttg_and_week8_ratio():
    # MODELS.md sec. 4 (nlmixr2lib Claret_2014 file): typical TTG ~ 117 d, week-8 TS ratio ~ 0.75
    m = get_model("claret_ts")
    y0, kl, kde, lam = m.defaults
    ttg = math.log(kde / kl) / lam
    assert abs(ttg - 117) <= 0.5
    ratio = m.predict(np.array([8 * WEEK]), m.defaults)[0] / y0
    assert abs(ratio - 0.75) <= 0.005
    h = 0.05
    assert abs(_grid_argmin(m, m.defaults, 3 * ttg, h) - ttg) <= h


# ------------------------------------------------------------------ Stein / Wang
def test_stein_nadir_time_is_argmin_and_docetaxel_ttg():
    m = get_model("stein_gd")
    y0, g, d = m.defaults
    ttg = (math.log(d) - math.log(g)) / (g + d)
    h = 0.05
    assert abs(_grid_argmin(m, m.defaults, 3 * ttg, h) - ttg) <= h
    # MODELS.md sec. 5: docetaxel typical TTG = ln(0.03566/0.01822)/(0.01822+0.03566) ~ 12.5 wk
    assert abs(ttg / WEEK - 12.5) <= 0.05


def test_stein_gd_closed_form_is_the_published_formula_and_matches_ode():
    m = get_model("stein_gd")
    rng = np.random.default_rng(7)
    p = np.column_stack([rng.uniform(20, 150, 5), rng.uniform(1e-4, 1e-2, 5),
                         rng.uniform(1e-4, 2e-2, 5)])
    t = np.linspace(0, 700, 36)
    want = p[:, :1] * (np.exp(-p[:, 2:3] * t) + np.exp(p[:, 1:2] * t) - 1)
    np.testing.assert_allclose(m.predict(t, p), want, rtol=1e-12)
    np.testing.assert_allclose(m.predict(t, p, method="ode"), want, rtol=ODE_RTOL)
    states = solve_ode(m, t, p, return_states=True)
    assert np.all(states[..., 1] >= 0)  # regrowth excess y0 (e^{gt} - 1) is never negative


def test_stein_variants_nest():
    t = np.linspace(0, 500, 26)
    gd, gx, dx, phi = (get_model(n) for n in ("stein_gd", "stein_gx", "stein_dx", "stein_gdphi"))
    y0, g, d = gd.defaults
    np.testing.assert_allclose(gd.predict(t, [y0, 0.0, d]), dx.predict(t, [y0, d]), rtol=1e-12)
    np.testing.assert_allclose(gd.predict(t, [y0, g, 0.0]), gx.predict(t, [y0, g]), rtol=1e-12)
    np.testing.assert_allclose(phi.predict(t, [y0, g, d, 1.0]), gx.predict(t, [y0, g]), rtol=1e-12)
    np.testing.assert_allclose(phi.predict(t, [y0, g, d, 0.0]), dx.predict(t, [y0, d]), rtol=1e-12)
    # gdphi nadir: phi g e^{gt} = (1 - phi) d e^{-dt}
    f = 0.2
    ttg = math.log((1 - f) * d / (f * g)) / (g + d)
    h = 0.05
    assert abs(_grid_argmin(phi, [y0, g, d, f], 3 * ttg, h) - ttg) <= h


def test_wang_nadir_time_is_argmin():
    m = get_model("wang")
    y0, sr, pr = m.defaults
    ttg = math.log(sr * y0 / pr) / sr
    h = 0.05
    assert abs(_grid_argmin(m, m.defaults, 3 * ttg, h) - ttg) <= h
    t = np.linspace(0, 600, 31)
    np.testing.assert_allclose(m.predict(t, m.defaults), y0 * np.exp(-sr * t) + pr * t, rtol=1e-12)


# ------------------------------------------------------------------ growth laws
@pytest.mark.parametrize(("lam", "name"), [(0.0, "gompertz"), (-1.0, "logistic"),
                                           (1.0 / 3.0, "classical_bertalanffy")])
@pytest.mark.parametrize("v0", [0.3, 1.0, 3.0])
def test_generalised_bertalanffy_nests_classical_laws(lam, name, v0):
    gb, law = get_model("bertalanffy"), get_model(name)
    t = np.linspace(0, 800, 41)
    p3 = np.array([v0, 2.0, 0.01])
    p4 = np.append(p3, lam)
    np.testing.assert_allclose(gb.predict(t, p4), law.predict(t, p3), rtol=1e-12)
    np.testing.assert_allclose(gb.predict(t, p4, method="ode"), law.predict(t, p3),
                               rtol=ODE_RTOL)


@pytest.mark.parametrize("lam", [1e-5, -1e-5])
def test_generalised_bertalanffy_is_continuous_at_gompertz(lam):
    # log V_GB - log V_Gompertz = lam L^2 (e - e^2)/2 + O(lam^2), L = ln(v0/v_inf), e = exp(-omega t)
    # and 0 <= e - e^2 <= 1/4, so the gap is at most |lam| L^2 / 8 (+ O(lam^2))
    gb, gz = get_model("bertalanffy"), get_model("gompertz")
    p3 = np.array([1.0, 2.0, 0.01])
    t = np.linspace(0, 800, 81)
    gap = np.abs(np.log(gb.predict(t, np.append(p3, lam))) - np.log(gz.predict(t, p3)))
    L = math.log(p3[0] / p3[1])
    assert np.all(gap <= abs(lam) * L**2 / 8 * 1.01)
    assert gap.max() >= abs(lam) * L**2 / 8 * 0.9  # the bound is attained near e = 1/2


def test_logistic_matches_textbook_formula():
    m = get_model("logistic")
    rng = np.random.default_rng(3)
    v0, k, a = rng.uniform(0.1, 5, 6), rng.uniform(1, 10, 6), rng.uniform(1e-3, 5e-2, 6)
    t = np.linspace(0, 500, 51)
    want = k[:, None] / (1 + (k[:, None] / v0[:, None] - 1) * np.exp(-a[:, None] * t))
    p = np.column_stack([v0, k, a])
    np.testing.assert_allclose(m.predict(t, p), want, rtol=1e-12)
    np.testing.assert_allclose(m.predict(t, p, method="ode"), want, rtol=ODE_RTOL)


def test_exponential_doubling_time():
    m = get_model("exponential")
    omega = np.array([0.002, 0.0084, 0.05])
    p = np.column_stack([np.full(3, 7.0), omega])
    td = np.log(2) / omega
    for i in range(3):
        y = m.predict(np.array([0.0, td[i], 2 * td[i]]), p[i])
        np.testing.assert_allclose(y, [7.0, 14.0, 28.0], rtol=1e-12)
        y = m.predict(np.array([0.0, td[i], 2 * td[i]]), p[i], method="ode")
        np.testing.assert_allclose(y, [7.0, 14.0, 28.0], rtol=ODE_RTOL)
    # default 0.0084/day is ln2/83 d rounded to 4 decimals: relative error <= 0.00005/0.00835
    td_default = math.log(2) / m.params()[1]
    assert abs(td_default - 83) / 83 <= 0.00005 / (math.log(2) / 83)


# ------------------------------------------------------------------ two populations
def test_two_population_without_competition_or_switching_is_two_exponentials():
    m = get_model("two_population")
    rng = np.random.default_rng(11)
    n = 5
    p = np.tile(m.defaults, (n, 1))
    p[:, m.index("v_inf")] = np.inf
    p[:, m.index("mu")] = 0.0
    p[:, m.index("f_r")] = rng.uniform(0.01, 0.5, n)
    p[:, m.index("g_s")] = rng.uniform(0.002, 0.02, n)
    p[:, m.index("g_r")] = rng.uniform(0.001, 0.01, n)
    e = rng.uniform(0.0, 2.0, n)
    t = np.linspace(0, 365, 37)
    y0, fr, gs, gr, kd = (p[:, m.index(k), None] for k in ("y0", "f_r", "g_s", "g_r", "k_d"))
    want = (1 - fr) * y0 * np.exp((gs - kd * e[:, None]) * t) + fr * y0 * np.exp(gr * t)
    np.testing.assert_allclose(m.predict(t, p, exposure=e), want, rtol=ODE_RTOL)


def test_two_population_switching_matches_linear_solution():
    # K = inf, mu > 0: S = S0 e^{a t}, a = gS - kD E - mu; R = R0 e^{gR t} + mu S0 (e^{at} - e^{gR t})/(a - gR)
    m = get_model("two_population")
    p = m.params(v_inf=np.inf, mu=0.01)
    e = 0.5
    y0, fr, gs, gr, kd, mu = (p[m.index(k)] for k in ("y0", "f_r", "g_s", "g_r", "k_d", "mu"))
    a = gs - kd * e - mu
    s0, r0 = (1 - fr) * y0, fr * y0
    t = np.linspace(0, 365, 37)
    s = s0 * np.exp(a * t)
    r = r0 * np.exp(gr * t) + mu * s0 * (np.exp(a * t) - np.exp(gr * t)) / (a - gr)
    states = solve_ode(m, t, p, exposure=e, return_states=True)
    np.testing.assert_allclose(states[:, 0], s, rtol=ODE_RTOL)
    np.testing.assert_allclose(states[:, 1], r, rtol=ODE_RTOL)


# ------------------------------------------------------------------ Simeoni
def test_simeoni_untreated_is_exponential_then_linear():
    m = get_model("simeoni")
    w0, l0, l1, k1, k2 = m.defaults
    p = m.params(w0=0.01)
    # exponential phase while z = l0 W / l1 <= 1/2: the denominator (1 + z^20)^(1/20) differs
    # from 1 by <= z^20/20, so |log W - (log w0 + l0 t)| <= int l0 z^20/20 dt <= z^20/400
    t_half = math.log(0.5 * l1 / (l0 * 0.01)) / l0
    t = np.linspace(0, t_half, 20)
    w = m.predict(t, p, exposure=0.0)
    gap = np.abs(np.log(w) - (math.log(0.01) + l0 * t))
    assert np.all(gap <= 0.5**20 / 400 + ODE_RTOL)
    # linear phase once z >= 2: dW/dt = l1 / (1 + z^-20)^(1/20), within l1 * 2^-20/20 of l1
    t2 = np.array([40.0, 50.0])
    w2 = m.predict(t2, p, exposure=0.0)
    assert l0 * w2[0] / l1 >= 2
    slope = (w2[1] - w2[0]) / (t2[1] - t2[0])
    assert abs(slope - l1) <= l1 * 2.0**-20 / 20 + ODE_RTOL * w2[1] / (t2[1] - t2[0]) * 2


def test_simeoni_mass_balance_of_damaged_cells():
    # d(x2 + x3 + x4)/dt = k2 C x1 - k1 x4; integrate with the trapezoid rule on a fine grid
    m = get_model("simeoni")
    p = m.defaults
    c = 500.0
    t = np.linspace(0, 20, 20001)
    x = solve_ode(m, t, p, exposure=c, return_states=True)
    k1, k2 = p[3], p[4]
    damaged = x[:, 1:].sum(axis=1)
    flux = k2 * c * x[:, 0] - k1 * x[:, 3]
    integral = np.concatenate([[0.0], np.cumsum((flux[1:] + flux[:-1]) / 2 * np.diff(t))])
    # trapezoid error <= (T h^2 / 12) max|flux''|; flux'' is bounded by ~ (rates)^2 x max size
    h = t[1] - t[0]
    bound = 20 * h**2 / 12 * (max(k1, p[1], k2 * c) ** 2) * 4 * x.max() + 1e-8 * x.max()
    np.testing.assert_allclose(damaged, integral, rtol=0, atol=bound)
