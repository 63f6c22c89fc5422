"""Issue 4 review fixes: chemo window, config validation, exits, Norton–Simon, toxicity rule, policies.

Deterministic one-lesion cohorts (no variability, no measurement error) so that each check is
exact arithmetic of the documented model; tolerances come from float32 outputs (relative 2^-24
per value, a few ulps after the cube root) unless stated.
"""

from __future__ import annotations

import numpy as np
import pytest

from oncodyn.errors import ConfigError
from oncodyn.patients.cohort import sphere_volume
from oncodyn.patients.config import scenario_from_dict
from oncodyn.simulate import _treatment as tx
from oncodyn.simulate import simulate

F32 = 1e-6  # float32 output: relative rounding 6e-8, cube roots and products stay below 1e-6


def _sc(**over):
    d = {
        "name": "det", "horizon_days": 364, "dt_days": 7,
        "dying": {"half_life_days": 0.0},
        "patients": {"n_lesions_mean": 1.0, "max_lesions": 1, "organs": ["lung"], "organ_probs": [1.0],
                     "primary_organ": "lung", "diam_median_mm": 40.0, "diam_sd_log": 0.0},
        "growth": {"law": "exponential", "rate_per_day": 0.01},
        "response": {"kill_law": "log_kill", "kill_per_dose": 1.0, "resistant_fraction": 1e-9},
        "variability": {"patient_sd": {"growth": 0.0, "kill": 0.0, "resistant": 0.0},
                        "lesion_sd": {"growth": 0.0, "kill": 0.0, "resistant": 0.0}},
        "chemo": {"cl_cv": 0.0, "toxicity": {"model": "none"}},
        "imaging": {"schedule": "q6w", "measurement_cv": 0.0, "additive_sd_mm": 0.0},
        "occult": {"n_slots": 0},
        "policy": {"kind": "continue"},
    }
    for k, v in over.items():
        d[k] = {**d[k], **v} if isinstance(v, dict) and isinstance(d.get(k), dict) else v
    return scenario_from_dict(d)


def _rel_dose() -> float:
    return 75.0 / 21.7 / 3.46  # AUC / reference AUC of one 75 mg/m2 dose (cl_cv 0)


# ------------------------------------------------------------------ 1. chemo window
def test_radiosensitisation_only_within_a_cycle_of_a_dose():
    # one docetaxel cycle at day 0; RT from day 200: no chemotherapy near it, so the
    # enhancement must change nothing (before the fix, "active" stayed True -> sensitised)
    def run(start, enh):
        sc = _sc(chemo={"n_cycles": 1}, radiation=[{"start_day": start, "n_fractions": 10,
                                                     "target": "primary", "chemo_enhancement": enh}])
        return simulate(sc, n_patients=2, seed=0, keep="trajectories")

    a, b = run(200, 0.0), run(200, 1.0)
    assert np.array_equal(a.burden, b.burden)
    # positive control: RT during the cycle (day 0-13 < 21) is sensitised, the lesion smaller
    c, d = run(0, 0.0), run(0, 1.0)
    k = int(np.searchsorted(c.grid, 28))
    assert d.burden[0, k] < c.burden[0, k]
    # state: line 1 while < one cycle (21 d) after the only dose, then off (line inactive)
    on = c.grid < 21
    assert np.all(c.state[0, on] == 1) and np.all(c.state[0, ~on] == 0)
    assert c.cum_dose[0] == pytest.approx(75.0)


def test_state_follows_last_dose_under_repeated_cycles():
    r = simulate(_sc(chemo={"n_cycles": 3}), n_patients=1, seed=0, keep="trajectories")
    on = r.grid < 3 * 21  # doses at 0, 21, 42; covered until 63
    assert np.all(r.state[0, on] == 1) and np.all(r.state[0, ~on] == 0)


# ------------------------------------------------------------------ 2-4. validation
@pytest.mark.parametrize("sched", [[300, 42, -5], [43], [0, 42], [371], []])
def test_imaging_schedule_validated(sched):
    with pytest.raises(ConfigError, match=r"imaging\.schedule.*1\.\.364.*multiples of 7"):
        _sc(imaging={"schedule": sched})


def test_imaging_schedule_valid_list():
    from oncodyn.simulate.engine import scan_days

    assert list(scan_days(_sc(imaging={"schedule": [84, 42]}))) == [0, 42, 84]


@pytest.mark.parametrize("corr,what", [
    ([[1, 0.2, 0], [0, 1, 0], [0, 0, 1]], "symmetric"),
    ([[2, 0, 0], [0, 1, 0], [0, 0, 1]], "unit diagonal"),
    ([[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]], "positive definite"),
    ([[1, 0], [0, 1]], "3x3"),
])
def test_patient_corr_validated(corr, what):
    with pytest.raises(ConfigError, match=f"variability.patient_corr.*{what}"):
        _sc(variability={"patient_corr": corr})


def test_radiation_target_without_lesions_is_an_error():
    with pytest.raises(ConfigError, match=r"radiation\[0\]\.target = 'liver'.*allowed: primary, all, lung"):
        _sc(radiation=[{"target": "liver"}])
    pats = {"n_lesions_mean": 1.0, "max_lesions": 1, "organs": ["lung"], "organ_probs": [1.0],
            "diam_median_mm": 40.0, "diam_sd_log": 0.0}
    with pytest.raises(ConfigError, match=r"radiation\[0\]\.target = 'primary' needs patients\.primary_organ"):
        scenario_from_dict({"patients": pats, "radiation": [{"target": "primary"}]})


def test_irradiated_lesions_counted_per_patient():
    # liver in only some patients: the count of lesions in the field equals the liver lesions seen
    sc = _sc(patients={"n_lesions_mean": 3.0, "max_lesions": 4, "organs": ["lung", "liver"],
                       "organ_probs": [0.6, 0.4], "primary_organ": None},
             radiation=[{"target": "liver", "n_fractions": 5}])
    r = simulate(sc, n_patients=200, seed=4, keep="all")
    lf = r.lesions_frame()
    liver = lf[(lf.tp == 0) & (lf.organ == "liver")].groupby("subject_id").size()
    expect = np.zeros(r.n, dtype=int)
    expect[liver.index.to_numpy()] = liver.to_numpy()
    assert np.array_equal(r.n_irradiated, expect)
    s = r.summary()
    assert 0 < s["patients_without_irradiated_lesion"] < r.n
    assert s["irradiated_lesions"] == expect.sum()


# ------------------------------------------------------------------ 5. exits
def test_burden_masked_after_exit():
    sc = _sc(early_exit_prob=0.5, death_hazard_per_day=0.002)
    r = simulate(sc, n_patients=300, seed=2, keep="all")
    gone = np.isfinite(r.exit_day)
    assert 0.3 < gone.mean() < 1.0
    on = r.grid[None, :] < r.exit_day[:, None]
    assert np.all(np.isnan(r.burden[~on])) and np.all(np.isfinite(r.burden[on]))
    tf = r.trajectories_frame()
    assert len(tf) == int(on.sum()) and tf.burden_mm.notna().all()
    # after an exit there is no dosing and no treatment state
    assert np.all(r.state[~on] == 0)


# ------------------------------------------------------------------ 6. Norton–Simon
@pytest.mark.parametrize("law", ["log_kill", "norton_simon"])
def test_norton_simon_kills_faster_lesions_more(law):
    # two patient classes, growth x1 and x2 (covariate effect); first dose at day 0, killed cells
    # cleared at once (half-life 0): d(7)/d(0) = exp((-kill rel h + 7 g)/3), so
    # h = (7 g - 3 ln(d7/d0)) / (kill rel). Log-kill: h = 1; Norton–Simon: h = g / g_ref.
    g0 = 0.01
    sc = _sc(covariates=[{"name": "speed", "levels": ["slow", "fast"], "probs": [0.5, 0.5],
                          "effects": {"growth": [1.0, 2.0]}}],
             growth={"rate_per_day": g0}, response={"kill_law": law})
    r = simulate(sc, n_patients=40, seed=1, keep="trajectories")
    fast = r.covariates[:, 0] == 1
    assert 0 < fast.sum() < r.n
    g = np.where(fast, 2 * g0, g0)
    k7 = int(np.searchsorted(r.grid, 7))
    h = (7 * g - 3 * np.log(r.burden[:, k7].astype(float) / r.burden[:, 0])) / (1.0 * _rel_dose())
    want = np.ones(r.n) if law == "log_kill" else g / g0
    np.testing.assert_allclose(h, want, rtol=1e-4)  # 3 ln(float32 ratio): ~1e-7 abs over h ~ 1


def test_norton_simon_gompertz_uses_current_rate():
    # Gompertz: r(N) = a ln(K/N), a = g / ln(K/N0). First dose: N = N0, h = g/g_ref = 1 here;
    # second dose (day 21): the lesion is smaller, r(N) larger, so h > 1 (log-kill: 1).
    K = np.pi / 6 * 200.0**3
    g = 0.01
    res = {}
    for law in ("log_kill", "norton_simon"):
        sc = _sc(growth={"law": "gompertz", "rate_per_day": g, "carrying_capacity_diam_mm": 200.0},
                 response={"kill_law": law}, chemo={"n_cycles": 2})
        res[law] = simulate(sc, n_patients=1, seed=0, keep="trajectories").burden[0].astype(float)
    v0 = np.pi / 6 * 40.0**3
    a = g / np.log(K / v0)

    def grow(v, days):
        return np.exp(np.log(K) + (np.log(v) - np.log(K)) * np.exp(-a * days))

    kr = _rel_dose()
    v21 = grow(v0 * np.exp(-kr), 21)
    h2 = a * np.log(K / v21) / g
    assert h2 > 1.05
    for law, h in (("log_kill", 1.0), ("norton_simon", h2)):
        v28 = grow(v21 * np.exp(-kr * h), 7)
        d28 = (6 * v28 / np.pi) ** (1 / 3)
        assert res[law][4] == pytest.approx(d28, rel=F32), law
    assert res["norton_simon"][4] < res["log_kill"][4]


# ------------------------------------------------------------------ 7. toxicity rule
def _tox(slope, **rule):
    return _sc(chemo={"toxicity": {"model": "friberg", "slope_sd_log": 0.0, "slope_per_mg_l": slope, **rule}},
               horizon_days=126)


def _grade(slope, dose):
    m = np.array([4.0 / 84.2 * slope * dose / 21.7])
    return int(tx.anc_grade(5.22 * tx.relative_nadir(m, 0.145))[0]), float(
        tx.days_below(m, 0.145, 0.5 / 5.22, 4.0 / 84.2)[0])


def _nadir_day(slope, dose):
    """Day of the ANC nadir after a dose on day 0: toxicity events are recorded then."""
    m = np.array([4.0 / 84.2 * slope * dose / 21.7])
    return float(tx.nadir_days(m, 0.145, 4.0 / 84.2)[0])


def test_grade3_reduces_next_dose_and_continues():
    assert _grade(15.0, 75.0)[0] == 3 and _grade(15.0, 60.0)[0] == 2  # precondition
    r = simulate(_tox(15.0), n_patients=1, seed=0, keep="all")
    ev = r.events_frame()
    assert list(ev[ev.event == "dose_reduced"].day) == [_nadir_day(15.0, 75.0)]
    assert "discontinued_toxicity" not in set(ev.event)
    assert r.cum_dose[0] == pytest.approx(75.0 + 60.0 * 6)  # doses at 0, 21, ..., 126


def test_grade4_at_reduced_dose_discontinues_only_if_long_enough():
    g60, days60 = _grade(60.0, 60.0)
    assert g60 == 4 and days60 > 7  # slope 60: ANC < 0.5 for > 7 days even at 60 mg/m2
    g30, days30 = _grade(30.0, 60.0)
    assert g30 == 4 and days30 < 7
    for slope, min_days, stops in ((60.0, 7.0, True), (30.0, 7.0, False), (30.0, 0.0, True)):
        r = simulate(_tox(slope, discontinue_min_days=min_days), n_patients=1, seed=0, keep="all")
        ev = r.events_frame()
        assert list(ev[ev.event == "dose_reduced"].day) == [_nadir_day(slope, 75.0)]
        stop = list(ev[ev.event == "discontinued_toxicity"].day)
        assert stop == ([21.0 + _nadir_day(slope, 60.0)] if stops else []), (slope, min_days)
        assert r.cum_dose[0] == pytest.approx(135.0 if stops else 75.0 + 60.0 * 6)


def test_reduce_delay_rule_delays_by_delay_days():
    r = simulate(_tox(15.0, rule="reduce_delay", delay_days=7), n_patients=1, seed=0, keep="all")
    ev = r.events_frame()
    assert list(ev[ev.event == "dose_delayed"].day) == [_nadir_day(15.0, 75.0)]
    # at 60 mg/m2 grade 2: no more delays; doses at 0, 28, 49, ..., 112
    assert r.cum_dose[0] == pytest.approx(75.0 + 60.0 * 5)


# ------------------------------------------------------------------ 8. policies and dynamics
def test_stop_at_pd_actually_stops():
    sc = _sc(response={"resistant_fraction": 0.5, "kill_per_dose": 3.0}, policy={"kind": "stop_at_pd"},
             growth={"rate_per_day": 0.02})
    r = simulate(sc, n_patients=1, seed=0, keep="all")
    ev = r.events_frame()
    stop = ev[ev.event == "stop_at_pd"].day.to_numpy()
    assert stop.size == 1
    n_doses = int(np.ceil(stop[0] / 21))  # doses at 0, 21, ... strictly before the stop scan
    assert r.cum_dose[0] == pytest.approx(75.0 * n_doses)
    last = 21 * (n_doses - 1)
    assert np.all(r.state[0, r.grid >= last + 21] == 0)
    assert np.all(r.state[0, r.grid < last + 21] == 1)


def test_switch_at_pd_changes_line_for_all_following_steps():
    sc = _sc(response={"resistant_fraction": 0.5, "kill_per_dose": 3.0}, policy={"kind": "switch_at_pd"},
             second_line={"kill_per_dose": 3.0, "cross_resistance": 1.0}, growth={"rate_per_day": 0.02},
             horizon_days=700)
    r = simulate(sc, n_patients=1, seed=0, keep="all")
    ev = r.events_frame()
    sw = ev[ev.event == "switch"].day.to_numpy()
    assert sw.size == 1
    st = r.state[0]
    assert np.all(st[r.grid < sw[0]] == 1)
    pd_days = ev[ev.event == "progression"].day.to_numpy()
    assert pd_days[0] == sw[0]
    # line 2 from the switch on, every step, until a second PD stops it (then one cycle on)
    later = [d for d in np.unique(r.timepoints_frame().query("subject_id == 0 and overall == 'PD'").day) if d > sw[0]]
    end = later[0] if later else np.inf
    assert np.all(st[(r.grid >= sw[0]) & (r.grid < end)] == 2)
    if later:
        assert np.all(st[r.grid >= end + 21] == 0)


def test_holiday_after_response_pauses_and_resumes():
    sc = _sc(policy={"kind": "holiday_after_response"}, response={"kill_per_dose": 2.0},
             growth={"rate_per_day": 0.02}, horizon_days=700)
    r = simulate(sc, n_patients=1, seed=0, keep="all")
    ev = r.events_frame()
    pauses = ev[ev.event == "pause"].day.to_numpy()
    resumes = ev[ev.event == "resume"].day.to_numpy()
    assert pauses.size >= 1 and resumes.size >= 1
    tp = r.timepoints_frame()
    sod = dict(zip(tp.day, tp.sod_mm, strict=True))
    base = sod[0]
    assert all(sod[d] <= 0.7 * base for d in pauses)  # PR (<= -30%)
    nadir_before = min(v for d, v in sod.items() if d < resumes[0])
    assert sod[resumes[0]] >= 1.2 * nadir_before - 1e-9
    # no dose during the holiday: the treatment window ends one cycle after the last dose
    # before the pause, and the state is "paused" (3) until the resume
    hol = (r.grid >= pauses[0]) & (r.grid < resumes[0])
    assert np.all(np.isin(r.state[0, hol], (1, 3))) and r.state[0, hol][-1] == 3
    assert r.state[0, r.grid == resumes[0]][0] == 1


def test_acquired_resistance_follows_transfer_recursion():
    # no pre-existing resistance; each dose kills the sensitive S by exp(-kill rel), then moves
    # q rel of the survivors to R; both grow at g. The resistant share rises dose by dose.
    g, kill, q = 0.01, 1.0, 0.2
    sc = _sc(response={"kill_per_dose": kill, "acquired_per_dose": q, "resistant_fraction": 1e-9},
             growth={"rate_per_day": g}, horizon_days=126)
    r = simulate(sc, n_patients=1, seed=0, keep="trajectories")
    rel = _rel_dose()
    S, R = np.pi / 6 * 40.0**3 * (1 - 1e-9), np.pi / 6 * 40.0**3 * 1e-9
    share = []
    for t in r.grid:
        d = (6 * (S + R) / np.pi) ** (1 / 3)
        assert r.burden[0, int(t // 7)] == pytest.approx(d, rel=F32)
        if t % 21 == 0:
            S *= np.exp(-kill * rel)
            mv = q * rel * S
            S, R = S - mv, R + mv
            share.append(R / (S + R))
        S, R = S * np.exp(7 * g), R * np.exp(7 * g)
    assert np.all(np.diff(share) > 0) and share[-1] > 0.5


def test_gompertz_growth_path():
    # untreated Gompertz: ln N(t) = ln K + (ln N0 - ln K) exp(-a t), a = g / ln(K/N0)
    g, dK = 0.02, 120.0
    sc = _sc(growth={"law": "gompertz", "rate_per_day": g, "carrying_capacity_diam_mm": dK}, chemo=None)
    r = simulate(sc, n_patients=1, seed=0, keep="trajectories")
    K, N0 = np.pi / 6 * dK**3, np.pi / 6 * 40.0**3
    a = g / np.log(K / N0)
    N = np.exp(np.log(K) + (np.log(N0) - np.log(K)) * np.exp(-a * r.grid))
    np.testing.assert_allclose(r.burden[0], (6 * N / np.pi) ** (1 / 3), rtol=F32)
    assert r.burden[0, -1] < dK


def test_occult_emission_produces_new_lesions():
    # Iwata power law (cohort.py): the number of colonies >= 1 cell is Poisson(c (1 - x_det^-a))
    # truncated at n_slots; the coefficient is chosen so that this mean is 1. With fast growth and
    # no treatment every colony reaches the detection size within the horizon (ln x_det / g < 700 d)
    # and is reported as NEW, making that scan PD.
    g, a = 0.05, 2.0 / 3.0
    cells = np.pi / 6 * 40.0**3 * 1e6
    x_det = sphere_volume(5.0) * 1e6
    coef = 1.0 / (cells**a / (a * g) * (1 - x_det ** (-a)))
    sc = _sc(growth={"rate_per_day": g}, chemo=None, horizon_days=700,
             occult={"n_slots": 3, "emission_coefficient": coef, "emission_exponent": a})
    n = 1500
    r = simulate(sc, n_patients=n, seed=9, keep="all")
    lf = r.lesions_frame()
    new = lf[lf.role == "NEW"]
    count = new.groupby("subject_id").lesion_id.nunique().reindex(range(n), fill_value=0).to_numpy()
    pk = np.array([np.exp(-1.0) / np.prod(range(1, k + 1)) for k in range(3)])
    vals = np.array([0, 1, 2, 3])
    probs = np.append(pk, 1 - pk.sum())
    mean = (vals * probs).sum()
    sd = np.sqrt(((vals - mean) ** 2 * probs).sum() / n)
    assert abs(count.mean() - mean) < 4 * sd
    first_new = new.groupby("subject_id").tp.min()
    tp = r.timepoints_frame().set_index(["subject_id", "tp"]).overall
    assert all(tp[(s, t)] == "PD" for s, t in first_new.items())
    # without emission, no new lesion at all
    r0 = simulate(_sc(growth={"rate_per_day": g}, chemo=None, horizon_days=700,
                      occult={"n_slots": 3, "emission_coefficient": 0.0}), n_patients=50, seed=9, keep="all")
    assert not (r0.lesions_frame().role == "NEW").any()
