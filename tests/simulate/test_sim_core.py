"""Simulator: positivity, reproducibility (seed, chunks, Dask workers), policies, radiotherapy."""

from __future__ import annotations

import numpy as np
import pytest

from oncodyn.patients.config import scenario_from_dict
from oncodyn.scenarios import list_scenarios, load_scenario
from oncodyn.simulate import simulate
from oncodyn.trials import DaskExecutor


@pytest.mark.parametrize("name", list_scenarios())
def test_presets_positive_and_finite(name):
    r = simulate(name, n_patients=300, seed=3, keep="all")
    # burden is finite and >= 0 while on study, NaN from the exit day (death / withdrawal) on
    on = r.grid[None, :] < r.exit_day[:, None]
    assert np.all(np.isfinite(r.burden[on])) and np.all(r.burden[on] >= 0)
    assert np.all(np.isnan(r.burden[~on]))
    # slot 0 is drawn measurable (>= 10 mm, nodes >= 15 mm); measurement error (CV 6% + 1.7 mm)
    # can read a lesion just above 10 mm below it, so allow a few percent without targets
    has = r.n_targets >= 1
    assert has.mean() >= 0.95 and np.all(r.n_targets <= 5)
    assert np.all(r.base_sod[has] >= 10.0)
    lf = r.lesions_frame()
    assert set(lf.role) <= {"TARGET", "NON-TARGET", "NEW"}
    assert (lf[["ld_mm", "sa_mm"]].fillna(0) >= 0).all().all()
    # at most 2 targets per organ (RECIST 1.1)
    base = lf[(lf.tp == 0) & (lf.role == "TARGET")]
    assert base.groupby(["subject_id", "organ"]).size().max() <= 2


def test_same_seed_identical_and_seed_matters():
    a = simulate("nsclc_docetaxel", n_patients=500, seed=11, keep="trajectories", chunk_size=200)
    b = simulate("nsclc_docetaxel", n_patients=500, seed=11, keep="trajectories", chunk_size=200)
    c = simulate("nsclc_docetaxel", n_patients=500, seed=12, keep="trajectories", chunk_size=200)
    assert np.array_equal(a.burden, b.burden, equal_nan=True) and np.array_equal(a.pfs_days, b.pfs_days)
    assert np.array_equal(a.state, b.state)
    assert not np.array_equal(a.burden, c.burden, equal_nan=True)


def test_dask_two_workers_identical_to_serial():
    kw = dict(n_patients=400, seed=5, keep="all", chunk_size=100)
    a = simulate("nsclc_docetaxel", **kw)
    with DaskExecutor(workers=2) as ex:
        b = simulate("nsclc_docetaxel", executor=ex, **kw)
    for k in ("bor", "best_pct", "pfs_days", "pfs_event", "burden", "scan_sod", "state"):
        assert np.array_equal(getattr(a, k), getattr(b, k), equal_nan=True), k
    assert a.events_frame().equals(b.events_frame())
    assert a.lesions_frame().equals(b.lesions_frame())


def _deterministic(**over):
    """One-lesion patients without variability or measurement error."""
    d = {
        "name": "det", "horizon_days": 700, "dt_days": 7,
        "patients": {"n_lesions_mean": 1.0, "max_lesions": 1, "organs": ["lung"], "organ_probs": [1.0],
                     "diam_median_mm": 40.0, "diam_sd_log": 0.0},
        "growth": {"law": "exponential", "rate_per_day": 0.02},
        "response": {"kill_law": "log_kill", "kill_per_dose": 1.5, "resistant_fraction": 1e-9},
        "variability": {"patient_sd": {"growth": 0.0, "kill": 0.0, "resistant": 0.0},
                        "lesion_sd": {"growth": 0.0, "kill": 0.0, "resistant": 0.0}},
        "chemo": {"cl_cv": 0.0, "toxicity": {"model": "none"}},
        "imaging": {"schedule": "q6w", "measurement_cv": 0.0, "additive_sd_mm": 0.0},
        "occult": {"n_slots": 0},
    }
    for k, v in over.items():
        d[k] = {**d.get(k, {}), **v} if isinstance(v, dict) else v
    return scenario_from_dict(d)


def test_adaptive_therapy_pauses_at_half_and_resumes_at_baseline():
    sc = _deterministic(policy={"kind": "adaptive"})
    r = simulate(sc, n_patients=3, seed=0, keep="all")
    ev = r.events_frame()
    ev0 = ev[ev.subject_id == 0]
    pauses = ev0[ev0.event == "pause"].day.to_numpy()
    resumes = ev0[ev0.event == "resume"].day.to_numpy()
    assert pauses.size >= 2 and resumes.size >= 1  # oscillates (Zhang 2017)
    tp = r.timepoints_frame()
    sod = dict(zip(tp[tp.subject_id == 0].day, tp[tp.subject_id == 0].sod_mm, strict=True))
    base = sod[0]
    # the rule, exactly (no measurement error): pause only when SOD <= 50% baseline,
    # resume only when SOD >= baseline; and the scans before a pause were above 50%
    assert all(sod[d] <= 0.5 * base for d in pauses)
    assert all(sod[d] >= base for d in resumes)
    first_pause = pauses[0]
    assert all(sod[d] > 0.5 * base for d in sod if 0 < d < first_pause)
    # no dosing while paused: state code 3 between the first pause and the next resume
    grid = r.grid
    between = (grid >= first_pause) & (grid < resumes[0])
    assert np.all(r.state[0, between] == 3)


def test_stop_at_pd_stops_and_switch_changes_line():
    sc = _deterministic(response={"resistant_fraction": 0.5, "kill_per_dose": 3.0},
                        policy={"kind": "switch_at_pd"})
    r = simulate(sc, n_patients=2, seed=0, keep="all")
    ev = r.events_frame()
    assert "switch" in set(ev.event)
    day = ev[ev.event == "switch"].day.iloc[0]
    assert np.all(r.state[0, r.grid >= day][:1] == 2)


@pytest.mark.parametrize("half_life", [0.0, 14.0])
def test_radiotherapy_lq_kill_on_target_lesion_only(half_life):
    # 2 Gy x 5 in week 0, alpha 0.3, alpha/beta 10: SF = exp(-5 (0.6 + 0.12)) = exp(-3.6).
    # Viable volume at day 42: V0 SF exp(g 42) (g tiny here); the killed V0 (1 - SF) enter the
    # dying compartment in week 0 and are cleared over the 6 weeks to V0 (1 - SF) 2^(-42/h)
    # (none left when h = 0, instant clearance). Diameter ratio = cube root of the volume ratio.
    g = 1e-6
    sc = _deterministic(
        patients={"n_lesions_mean": 2.0, "max_lesions": 2, "organs": ["lung", "liver"], "organ_probs": [0.5, 0.5],
                  "primary_organ": "lung", "diam_median_mm": 40.0, "diam_sd_log": 0.0},
        growth={"rate_per_day": g}, chemo=None, dying={"half_life_days": half_life},
        radiation=[{"dose_per_fraction_gy": 2.0, "n_fractions": 5, "start_day": 0, "target": "primary",
                    "alpha": 0.3, "alpha_beta": 10.0, "tk_days": 100.0}])
    r = simulate(sc, n_patients=4, seed=1, keep="all")
    lf = r.lesions_frame()
    p0 = lf[lf.subject_id == 0].set_index(["tp", "lesion_id"]).ld_mm
    ratio_irr = p0[(1, "L1")] / p0[(0, "L1")]
    ratio_other = p0[(1, "L2")] / p0[(0, "L2")]
    sf = np.exp(-3.6)
    dying = (1 - sf) * 2.0 ** (-42 / half_life) if half_life > 0 else 0.0
    expected = (sf * np.exp(g * 42) + dying) ** (1 / 3)
    # measurements are recorded to 0.01 mm (+-0.005 mm each, RECIST engine R0.3) and stored as
    # float32 (relative 6e-8): a ratio d1/d0 is off by at most 0.005/d1 + 0.005/d0 relative
    def tol(key):
        return 0.005 / p0[(1, key)] + 0.005 / p0[(0, key)] + 1e-6

    assert ratio_irr == pytest.approx(expected, rel=tol("L1"))
    assert ratio_other == pytest.approx(np.exp(g * 42 / 3), rel=tol("L2"))


def test_unknown_preset_names_allowed():
    from oncodyn.errors import ConfigError

    with pytest.raises(ConfigError, match="nsclc_docetaxel"):
        load_scenario("no_such_preset")


def test_lesion_sum_is_numpy_pairwise_sum_bit_for_bit():
    # the lesion-major engine must reproduce x.sum(axis=1) of the patient-major layout exactly
    # (NumPy's pairwise order), including the >128-term split; wide dynamic range and zeros
    from oncodyn.simulate.engine import lesion_sum

    rng = np.random.default_rng(0)
    for L in [*range(1, 26), 128, 129, 200]:
        x = np.exp(20 * rng.standard_normal((500, L)))
        x[rng.random(x.shape) < 0.4] = 0.0
        lm = np.ascontiguousarray(x.T)
        before = lm.copy()
        assert np.array_equal(lesion_sum(lm), x.sum(axis=1)), L
        assert np.array_equal(lm, before)  # input untouched


@pytest.mark.parametrize("name", ["nsclc_docetaxel", "bladder_chemoradiation"])
def test_summary_with_burden_days_matches_trajectories(name):
    import math

    from oncodyn.simulate.engine import simulate_chunk

    sc = load_scenario(name)
    days = (0, 182, 728)
    full = simulate_chunk(sc, 400, np.random.Generator(np.random.PCG64(8)), keep="all")
    red = simulate_chunk(sc, 400, np.random.Generator(np.random.PCG64(8)), keep="summary", burden_days=days)
    # endpoints do not depend on what is kept (same random stream)
    for k in ("bor", "best_pct", "pfs_days", "pfs_event", "base_sod", "n_targets", "cum_dose"):
        assert np.array_equal(getattr(full, k), getattr(red, k), equal_nan=True), k
    grid = np.arange(0, sc.horizon_days + 1, sc.dt_days)
    idx = [int(np.flatnonzero(grid == d)[0]) for d in days]
    # the same float64 row cast to float32 in both paths: bit-equal
    assert np.array_equal(red.burden_at, full.burden[:, idx], equal_nan=True)
    assert red.burden is None and red.scan_meas is None
    # weekly sum is over the float64 rows; the kept trajectory is float32 (relative rounding
    # <= 2^-24 per nonnegative term, so the sums agree to 2^-24 relative, plus float64 summation)
    ref = np.nansum(full.burden.astype(np.float64), axis=0)  # patients still on study
    np.testing.assert_allclose(red.burden_weekly_sum, ref, rtol=math.ldexp(1.0, -24) + 1e-12)


def test_burden_days_off_grid_is_a_config_error():
    from oncodyn.errors import ConfigError
    from oncodyn.simulate.engine import simulate_chunk

    with pytest.raises(ConfigError, match="burden_days"):
        simulate_chunk(load_scenario("nsclc_docetaxel"), 10, np.random.default_rng(0), keep="summary",
                       burden_days=(3,))


def test_bench_scaling_sizes_parsed():
    from oncodyn.bench.simulate import parse_sizes
    from oncodyn.errors import ConfigError

    assert parse_sizes("100000, 10000,1e6", 1_000_000) == [10_000, 100_000, 1_000_000]
    assert parse_sizes("", 5) == [5]
    with pytest.raises(ConfigError, match="--scaling"):
        parse_sizes("10k", 100)
