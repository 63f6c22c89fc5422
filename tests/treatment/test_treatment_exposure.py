"""Dosing regimens and analytic PK (oncodyn.models.exposure) against closed forms and ODEs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad, solve_ivp
from scipy.linalg import expm

from oncodyn.errors import ConfigError
from oncodyn.models.exposure import (
    DOCETAXEL_1CPT,
    DOCETAXEL_3CPT,
    DoseEvents,
    LinearPK,
    Regimen,
    auc,
    concentration,
    constant_dose_exposure,
    cumulative_auc,
    interval_mean_concentration,
    kpd_exposure,
    stack_events,
)

EPS = np.finfo(float).eps


def _one_cpt_infusion(t_h, dose, tinf_h, cl, v):
    """Textbook zero-order infusion, one compartment (Gibaldi & Perrier 1982, eq. 2.112)."""
    k = cl / v
    r = dose / tinf_h
    during = r / cl * (1 - np.exp(-k * np.clip(t_h, 0, tinf_h)))
    after = r / cl * (1 - np.exp(-k * tinf_h)) * np.exp(-k * (t_h - tinf_h))
    return np.where(t_h < 0, 0.0, np.where(t_h <= tinf_h, during, after))


def test_regimen_events_delays_and_reductions():
    r = Regimen("docetaxel", 75, 1.0, 21, 4, start_day=2, delays=(0, 7), dose_factors=(1, 0.8))
    ev = r.dose_events()
    # delays accumulate: cycle 2 is 7 days late and pushes cycles 3-4
    np.testing.assert_array_equal(ev.time, [2, 30, 51, 72])
    # the reduction is kept for later cycles; 75 mg/m2 x 1.8 m2 = 135 mg, x 0.8 = 108 mg
    np.testing.assert_allclose(ev.amount, [135, 108, 108, 108], rtol=0, atol=1e-12)
    np.testing.assert_allclose(ev.duration, 1 / 24)
    assert r.end_day() == 72 + 21
    per_patient = r.dose_events(bsa_m2=np.array([1.5, 2.0]))
    assert per_patient.amount.shape == (2, 4)
    np.testing.assert_allclose(per_patient.amount[:, 0], [112.5, 150.0])


def test_regimen_days_within_cycle():
    fu = Regimen("fluorouracil", 425, 0.0, 28, 2, days=(0, 1, 2, 3, 4))
    ev = fu.dose_events()
    np.testing.assert_array_equal(ev.time, [0, 1, 2, 3, 4, 28, 29, 30, 31, 32])
    np.testing.assert_allclose(ev.amount, 765.0)  # 425 mg/m2 x 1.8 m2 (MODELS.md section 4)


@pytest.mark.parametrize("kwargs", [
    dict(dose_mg_m2=-1), dict(cycle_days=0), dict(n_cycles=1.5), dict(delays=(-1,)),
    dict(dose_factors=(1, 1, 1, 1)), dict(bsa_m2=0), dict(days=(21,)),
])
def test_regimen_rejects_bad_values(kwargs):
    base = dict(drug="x", dose_mg_m2=75, infusion_h=1, cycle_days=21, n_cycles=3)
    base.update(kwargs)
    with pytest.raises(ConfigError, match="regimen"):
        Regimen(**base)


def test_one_compartment_infusion_matches_textbook():
    cl, v, dose, tinf = 39.0, 24.0, 135.0, 1.0
    ev = DoseEvents([0.0], [dose], [tinf / 24])
    t = np.linspace(-0.1, 2.0, 401)
    got = concentration(LinearPK.one_compartment(cl, v), ev, t)
    want = _one_cpt_infusion(t * 24, dose, tinf, cl, v)
    # same closed form evaluated two ways: only rounding differs (relative 1e-12 of Cmax)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * want.max())


def test_bolus_is_exponential():
    ev = DoseEvents([1.0], [100.0], [0.0])
    t = np.array([0.5, 1.0, 1.5, 3.0])
    got = concentration(LinearPK.one_compartment(10.0, 50.0), ev, t)
    want = np.where(t >= 1, 100 / 50 * np.exp(-0.2 * (t - 1) * 24), 0)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)


def test_macro_constants_identities():
    # sum A_i = 1/V1 (initial concentration of a unit bolus) and sum A_i/lam_i = 1/CL (AUC)
    A, lam = DOCETAXEL_3CPT.macro_constants()
    assert math.isclose(A.sum(), 1 / 6.94, rel_tol=1e-12)
    assert math.isclose((A / lam).sum(), 1 / 35.7, rel_tol=1e-12)
    assert np.all(lam > 0) and np.all(A > 0)
    # label: three phases, fastest minutes, slowest ~half a day (MODELS.md section 9)
    hl = DOCETAXEL_3CPT.half_lives_h()
    assert hl[0] < 0.25 and 5 < hl[-1] < 30


_ARGS = (35.7, 6.94, 5.58, 7.39, 12.5, 225.0)


def _amount_matrix(cl, v1, q2, v2, q3, v3):
    """dx/dt = M x for amounts (mg) in central, shallow and deep compartments, per hour."""
    return np.array([[-(cl + q2 + q3) / v1, q2 / v2, q3 / v3],
                     [q2 / v1, -q2 / v2, 0.0],
                     [q3 / v1, 0.0, -q3 / v3]])


def _breakpoints(ev, t_end_h):
    return sorted({0.0, *(ev.time * 24), *((ev.time + ev.duration) * 24), t_end_h})


def _rate(ev, th):
    on = (th >= ev.time * 24) & (th < (ev.time + ev.duration) * 24)
    return np.sum(np.where(on, ev.amount / (ev.duration * 24), 0.0))


def _three_cpt_solve_ivp(ev, t_days, rtol, atol):
    """Reference by solve_ivp, integrated piecewise between infusion starts and ends."""
    M = _amount_matrix(*_ARGS)
    te = t_days * 24
    x, out, nfev = np.zeros(3), [], 0
    bps = _breakpoints(ev, te[-1])
    for a, b in zip(bps[:-1], bps[1:], strict=False):
        r = _rate(ev, 0.5 * (a + b))
        sel = te[(te > a) & (te <= b)]
        grid = np.append(sel[sel < b], b)
        sol = solve_ivp(lambda _t, y, r=r: M @ y + np.array([r, 0, 0]), (a, b), x,
                        t_eval=grid, rtol=rtol, atol=atol, method="DOP853")
        out.append(sol.y[0, np.searchsorted(grid, sel)] / _ARGS[1])
        x, nfev = sol.y[:, -1], nfev + sol.nfev
    return np.concatenate(out), nfev


def _three_cpt_expm(ev, t_days):
    """Exact reference by matrix exponentials (infusion: x += M^-1 (e^{M T} - I) r)."""
    M = _amount_matrix(*_ARGS)
    te = t_days * 24
    x, out = np.zeros(3), []
    bps = _breakpoints(ev, te[-1])
    for a, b in zip(bps[:-1], bps[1:], strict=False):
        r = np.array([_rate(ev, 0.5 * (a + b)), 0.0, 0.0])
        for tq in te[(te > a) & (te <= b)]:
            xq = expm(M * (tq - a)) @ x + np.linalg.solve(M, (expm(M * (tq - a)) - np.eye(3)) @ r)
            out.append(xq[0] / _ARGS[1])
        x = expm(M * (b - a)) @ x + np.linalg.solve(M, (expm(M * (b - a)) - np.eye(3)) @ r)
    return np.array(out)


def test_three_compartment_matches_solve_ivp_and_expm():
    ev = Regimen("docetaxel", 75, 1.0, 21, 2).dose_events()
    t = np.concatenate([np.linspace(0.001, 1, 60), np.linspace(1.1, 30, 60)])
    got = concentration(DOCETAXEL_3CPT, ev, t)
    # exact oracle (matrix exponential): agreement to rounding, 1e-10 relative
    np.testing.assert_allclose(got, _three_cpt_expm(ev, t), rtol=1e-10, atol=0)
    # solve_ivp: the system is dissipative (all eigenvalues < 0), so the global error is at
    # most the sum of local errors, each <= rtol*|x| + atol with |x| <= total dose; one step
    # costs >= 1 function evaluation, hence |error in C| <= nfev (rtol D + atol)/V1.
    rtol, atol = 1e-11, 1e-12
    ref, nfev = _three_cpt_solve_ivp(ev, t, rtol, atol)
    bound = nfev * (rtol * ev.amount.sum() + atol) / _ARGS[1]
    assert np.max(np.abs(got - ref)) <= bound
    assert bound < 1e-4 * got.max()  # the check is meaningful: bound far below the peak


@pytest.mark.parametrize("pk", [DOCETAXEL_1CPT, DOCETAXEL_3CPT])
def test_single_dose_auc_equals_dose_over_cl(pk):
    ev = DoseEvents([3.0], [135.0], [1 / 24])
    # infinite horizon: exact identity, only eigen-decomposition rounding (~1e3 eps)
    total = auc(pk, ev, 0.0, np.inf)
    assert math.isclose(float(total), 135.0 / float(pk.cl), rel_tol=1e3 * EPS)
    # finite horizon T after the dose: the missing tail is at most exp(-lam_min (T - Tinf))
    # of the total (every exponential decays at least as fast as the slowest one)
    lam_min = pk.macro_constants()[1].min()
    for horizon_d in (0.5, 2.0, 5.0):
        part = float(auc(pk, ev, 0.0, 3.0 + horizon_d))
        bound = 135.0 / float(pk.cl) * math.exp(-lam_min * (horizon_d * 24 - 1))
        assert 0 <= 135.0 / float(pk.cl) - part <= bound * (1 + 1e-9)


def test_auc_matches_quadrature():
    ev = Regimen("docetaxel", 75, 1.0, 21, 2).dose_events()
    pk = DOCETAXEL_3CPT

    def c(th):
        return float(concentration(pk, ev, np.array([th / 24]))[0])

    pts = [1.0, 21 * 24, 21 * 24 + 1]
    val, err = quad(c, 0, 30 * 24, points=pts, limit=400, epsabs=1e-12, epsrel=1e-12)
    got = float(auc(pk, ev, 0.0, 30.0))
    assert abs(got - val) <= max(10 * err, 1e-10 * val)  # quad's own error estimate


def test_docetaxel_label_exposure_one_compartment():
    # MODELS.md section 9: 75 mg/m2 q3w at BSA 1.8 -> AUC ~ 3.5 mg h/L (2 significant digits:
    # tolerance half a unit of the last digit, 0.05)
    ev = Regimen("docetaxel", 75, 1.0, 21, 1).dose_events()
    assert abs(float(auc(DOCETAXEL_1CPT, ev, 0, np.inf)) - 3.5) <= 0.05
    # the label numbers the 1-cpt set was derived from: 100 mg/m2 over 1 h,
    # AUC 4.6 mg h/L and Cmax 3.7 mg/L (reported to 2 significant digits)
    ev100 = Regimen("docetaxel", 100, 1.0, 21, 1).dose_events()
    assert abs(float(auc(DOCETAXEL_1CPT, ev100, 0, np.inf)) - 4.6) <= 0.05
    cmax = float(concentration(DOCETAXEL_1CPT, ev100, np.array([1 / 24]))[0])
    assert abs(cmax - 3.7) <= 0.05


def test_batched_patients_equal_individual_runs():
    rng = np.random.default_rng(7)
    n = 5
    cl = 35.7 * np.exp(rng.normal(0, 0.4, n))
    v1 = 6.94 * np.exp(rng.normal(0, 0.26, n))
    pk = LinearPK.three_compartment(cl, v1, 5.58, 7.39, 12.5, 225.0)
    schedules = [Regimen("d", 75, 1, 21, k + 1, delays=(0,) * k).dose_events() for k in range(n)]
    ev = stack_events(schedules)
    t = np.linspace(0, 100, 57)
    got = concentration(pk, ev, t)
    assert got.shape == (n, t.size)
    for i in range(n):
        one = LinearPK.three_compartment(cl[i], v1[i], 5.58, 7.39, 12.5, 225.0)
        np.testing.assert_allclose(got[i], concentration(one, schedules[i], t), rtol=1e-12, atol=0)
    # per-patient time grids
    tt = np.sort(rng.uniform(0, 60, (n, 9)), axis=1)
    got2 = concentration(pk, ev, tt)
    for i in range(n):
        one = LinearPK.three_compartment(cl[i], v1[i], 5.58, 7.39, 12.5, 225.0)
        np.testing.assert_allclose(got2[i], concentration(one, schedules[i], tt[i]), rtol=1e-12)


def test_interval_mean_concentration_is_auc_over_length():
    ev = Regimen("docetaxel", 75, 1.0, 21, 3).dose_events()
    edges = np.arange(0, 64.0)
    daily = interval_mean_concentration(DOCETAXEL_3CPT, ev, edges)
    assert daily.shape == (63,)
    # the daily means integrate back to the total AUC (24 h per day)
    total = float(auc(DOCETAXEL_3CPT, ev, 0, 63))
    assert math.isclose(daily.sum() * 24, total, rel_tol=1e-12)
    assert np.all(daily >= 0)
    # cumulative AUC is non-decreasing
    assert np.all(np.diff(cumulative_auc(DOCETAXEL_3CPT, ev, edges)) >= 0)


def test_constant_dose_exposure_claret_fu():
    fu = Regimen("fluorouracil", 425, 0.0, 28, 3, days=(0, 1, 2, 3, 4))
    e = constant_dose_exposure(fu.dose_events(), np.array([-1, 0, 50, 83.9, 84]), end_day=fu.end_day())
    # 5 x 765 mg per 4 weeks = 0.95625 g/week (MODELS.md section 4 schedule)
    np.testing.assert_allclose(e, [0, 0.95625, 0.95625, 0.95625, 0], rtol=1e-14)


def test_kpd_long_run_mean_is_weekly_dose():
    # at periodic steady state, the integral of kde*A over one period equals the dose input
    fu = Regimen("fluorouracil", 425, 0.0, 28, 12, days=(0, 1, 2, 3, 4))
    ev = fu.dose_events()
    kde = 0.5  # 1/day; after 11 periods the transient is e^(-0.5*308) of the total

    def f(t):
        return float(kpd_exposure(ev, np.array([t]), kde)[0])

    a, b = 11 * 28.0, 12 * 28.0
    val, err = quad(f, a, b, points=[a + k for k in range(5)], limit=200, epsabs=1e-12)
    mean = val / (b - a)
    assert abs(mean - 0.95625) <= 10 * err / (b - a) + 1e-12


def test_pk_rejects_bad_parameters():
    with pytest.raises(ConfigError, match="cl"):
        LinearPK.one_compartment(-1.0, 10.0)
    with pytest.raises(ConfigError):
        LinearPK(1.0, 1.0, (1.0,), ())
    with pytest.raises(ConfigError, match="finite"):
        DoseEvents([0.0], [np.nan], [0.0])


@pytest.mark.parametrize("pk", [DOCETAXEL_1CPT, DOCETAXEL_3CPT])
def test_grid_recursion_equals_superposition(pk):
    # random per-patient schedules: boluses (some exactly on grid points), infusions spanning
    # several grid intervals, doses before the first and after the last output time
    rng = np.random.default_rng(11)
    n, n_ev = 7, 6
    times = np.sort(rng.uniform(-3, 25, (n, n_ev)), axis=1)
    times[0, 2] = 4.0  # exactly on the grid
    dur = np.where(rng.random((n, n_ev)) < 0.3, 0.0, rng.uniform(0.01, 1.5, (n, n_ev)))
    dur[0, 2] = 0.0
    ev = DoseEvents(times, rng.uniform(0, 200, (n, n_ev)), dur)
    t = np.concatenate([np.linspace(0, 20, 41), [3.3, 0.01]])  # unsorted tail
    for f in (concentration, cumulative_auc):
        grid = f(pk, ev, t, method="grid")
        ref = f(pk, ev, t, method="superposition")
        # both exact; the recursion accumulates rounding over <= 43 steps: 1e-11 of the scale
        np.testing.assert_allclose(grid, ref, rtol=0, atol=1e-11 * np.abs(ref).max())
