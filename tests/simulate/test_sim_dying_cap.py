"""Dying-cell compartment (delayed clearance of killed cells) and the per-lesion size ceiling."""

from __future__ import annotations

import numpy as np
import pytest

from oncodyn.patients.config import scenario_from_dict
from oncodyn.scenarios import load_scenario
from oncodyn.simulate import simulate


def _one_lesion(**over):
    """One 40 mm lesion per patient, no variability, no measurement error."""
    d = {
        "name": "det", "horizon_days": 700, "dt_days": 7,
        "patients": {"n_lesions_mean": 1.0, "max_lesions": 1, "organs": ["lung"], "organ_probs": [1.0],
                     "diam_median_mm": 40.0, "diam_sd_log": 0.0},
        "growth": {"law": "exponential", "rate_per_day": 0.02},
        "response": {"kill_law": "log_kill", "kill_per_dose": 1.5, "resistant_fraction": 1e-9},
        "variability": {"patient_sd": {"growth": 0.0, "kill": 0.0, "resistant": 0.0},
                        "lesion_sd": {"growth": 0.0, "kill": 0.0, "resistant": 0.0}},
        "chemo": {"cl_cv": 0.0, "toxicity": {"model": "none"}, "n_cycles": 1},
        "imaging": {"schedule": "q6w", "measurement_cv": 0.0, "additive_sd_mm": 0.0},
        "occult": {"n_slots": 0},
        "policy": {"kind": "continue"},
    }
    for k, v in over.items():
        d[k] = {**d.get(k, {}), **v} if isinstance(v, dict) else v
    return scenario_from_dict(d)


@pytest.mark.parametrize("half_life", [0.0, 7.0, 21.0])
def test_chemo_kill_enters_dying_compartment_and_clears_first_order(half_life):
    # one dose on day 0: sensitive cells (1 - phi) V0 survive with SF = exp(-kill AUC/AUC_ref),
    # AUC = 75 / 21.7 (cl_cv 0); the killed (1 - phi) V0 (1 - SF) are cleared as 2^(-t/h) and
    # the survivors grow as exp(g t). Volume at the day-42 scan:
    #   V0 [((1 - phi) SF + phi) exp(g 42) + (1 - phi)(1 - SF) 2^(-42/h)]
    sc = _one_lesion(dying={"half_life_days": half_life})
    r = simulate(sc, n_patients=2, seed=4, keep="all")
    d = r.lesions_frame().query("subject_id == 0").set_index("tp").ld_mm
    g, phi = 0.02, 1e-9
    sf = np.exp(-1.5 * (75.0 / 21.7) / 3.46)
    dying = (1 - phi) * (1 - sf) * 2.0 ** (-42 / half_life) if half_life > 0 else 0.0
    expected = (((1 - phi) * sf + phi) * np.exp(g * 42) + dying) ** (1 / 3)
    # recorded to 0.01 mm (+-0.005 each) and stored as float32: relative error of d1/d0 bounded by
    # 0.005/d1 + 0.005/d0 (+ 1e-6 for float32 and the stepwise products)
    tol = 0.005 / d[1] + 0.005 / d[0] + 1e-6
    assert d[1] / d[0] == pytest.approx(expected, rel=tol)


def test_slower_clearance_delays_measured_shrinkage():
    # same viable cells, more dying cells left at day 42 -> the measured lesion is larger
    sizes = []
    for h in (0.0, 7.0, 21.0, 60.0):
        r = simulate(_one_lesion(dying={"half_life_days": h}), n_patients=1, seed=0, keep="all")
        sizes.append(float(r.lesions_frame().set_index("tp").ld_mm[1]))
    assert all(a < b for a, b in zip(sizes, sizes[1:], strict=False)), sizes


def test_no_treatment_no_dying_cells_results_identical():
    # without chemotherapy or radiotherapy nothing is killed, D stays 0 and the half-life cannot
    # matter: every output bit-identical to instant clearance
    base = load_scenario("nsclc_docetaxel").model_dump()
    base["chemo"] = None
    outs = []
    for h in (0.0, 14.0):
        d = dict(base, dying={"half_life_days": h})
        outs.append(simulate(scenario_from_dict(d), n_patients=300, seed=11, keep="all"))
    a, b = outs
    np.testing.assert_array_equal(a.burden, b.burden)
    np.testing.assert_array_equal(a.scan_sod, b.scan_sod)
    np.testing.assert_array_equal(a.lesions_frame().ld_mm.to_numpy(), b.lesions_frame().ld_mm.to_numpy())
    np.testing.assert_array_equal(a.bor, b.bor)
    np.testing.assert_array_equal(a.pfs_days, b.pfs_days)


def test_irradiated_primary_regresses_gradually():
    # bladder chemoradiation preset: with a 2-week half-life the irradiated primary is still
    # visible 6 weeks after the start of RT in most patients, whereas with instant clearance
    # (the previous model) it reads 0 in most patients (LQ SF of 55 Gy/20 fx ~ 1e-6)
    sc = load_scenario("bladder_chemoradiation")
    seen = {}
    for h in (0.0, 14.0):
        d = sc.model_dump()
        d["dying"] = {"half_life_days": h}
        r = simulate(scenario_from_dict(d), n_patients=400, seed=5, keep="all")
        lf = r.lesions_frame()
        prim = lf[(lf.lesion_id == "L1") & (lf.tp == 1)].ld_mm.to_numpy()
        seen[h] = float(np.mean(prim > 0))
    assert seen[0.0] < 0.5 < seen[14.0], seen


def test_size_ceiling_caps_growth_and_changes_nothing_below():
    # untreated exponential growth 0.02/d from 40 mm would reach 40 exp(0.02 * 700 / 3) ~ 4250 mm;
    # with the ceiling the burden stops at max_diam_mm, and before reaching it the trajectory is
    # bit-identical to one with an out-of-reach ceiling
    kw = {"chemo": None}
    with np.errstate(over="raise", invalid="raise"):
        capped = simulate(_one_lesion(growth={"max_diam_mm": 250.0}, **kw), n_patients=3, seed=2, keep="trajectories")
    free = simulate(_one_lesion(growth={"max_diam_mm": 1e5}, **kw), n_patients=3, seed=2, keep="trajectories")
    b, f = capped.burden[0], free.burden[0]
    below = f < 250.0
    assert below.sum() >= 20 and (~below).sum() >= 20  # both regimes are exercised
    np.testing.assert_array_equal(b[below], f[below])
    # at the ceiling: 250 mm up to float rounding of the cube root and float32 storage (1e-6)
    assert np.all(b <= 250.0 * (1 + 1e-6))
    assert b[-1] == pytest.approx(250.0, rel=1e-6)
    assert np.all(np.diff(b) >= -250.0 * 1e-6)


def test_presets_stay_below_ceiling_and_finite():
    # the presets' exponential growth after progression used to overflow (1e12 mm burdens);
    # now every burden is finite and at most max_lesions x max_diam_mm
    for name in ("nsclc_docetaxel", "bladder_chemoradiation"):
        sc = load_scenario(name)
        with np.errstate(over="raise", invalid="raise"):
            r = simulate(sc, n_patients=2000, seed=3, keep="trajectories")
        L = sc.patients.max_lesions + sc.occult.n_slots
        on = r.grid[None, :] < r.exit_day[:, None]  # NaN after exit (death / withdrawal)
        assert np.isfinite(r.burden[on]).all() and np.isnan(r.burden[~on]).all()
        assert np.nanmax(r.burden) <= L * sc.growth.max_diam_mm * (1 + 1e-6)


def test_dying_and_ceiling_config_errors(tmp_path):
    from oncodyn.errors import ConfigError

    p = tmp_path / "s.toml"
    p.write_text("[dying]\nhalf_life_days = -1\n")
    with pytest.raises(ConfigError, match="dying.half_life_days"):
        load_scenario(p)
    p.write_text("[growth]\nmax_diam_mm = 0\n")
    with pytest.raises(ConfigError, match="growth.max_diam_mm"):
        load_scenario(p)
