"""Simulator modalities: LDR brachytherapy, Simeoni one-transit kill, PK model selection."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncodyn.errors import ConfigError
from oncodyn.models import exposure, radiation
from oncodyn.patients.config import scenario_from_dict
from oncodyn.simulate import _treatment as tx
from oncodyn.simulate import simulate

# float32 burden: relative rounding <= 6e-8 per value; a log-ratio of two of them, cubed (volume),
# errs by < 3 * 2 * 6e-8 ~ 4e-7; the resistant fraction 1e-9 adds < 1e-8. Tolerance 1e-6.
LOG_TOL = 1e-6


_DROP = object()  # leave a section out (its defaults apply)


def _det(**over):
    """Deterministic lesions (40 mm, no variability, no measurement error, no occult disease)."""
    d = {
        "name": "det", "horizon_days": 140, "dt_days": 7,
        "patients": {"n_lesions_mean": 1.0, "max_lesions": 1, "organs": ["lung"], "organ_probs": [1.0],
                     "diam_median_mm": 40.0, "diam_sd_log": 0.0},
        "growth": {"law": "exponential", "rate_per_day": 0.02},
        "dying": {"half_life_days": 0.0},
        "response": {"kill_law": "log_kill", "kill_per_dose": 1.5, "resistant_fraction": 1e-9},
        "variability": {"patient_sd": {"growth": 0.0, "kill": 0.0, "resistant": 0.0},
                        "lesion_sd": {"growth": 0.0, "kill": 0.0, "resistant": 0.0}},
        "chemo": {"cl_cv": 0.0, "toxicity": {"model": "none"}, "n_cycles": 1},
        "imaging": {"schedule": "q6w", "measurement_cv": 0.0, "additive_sd_mm": 0.0},
        "occult": {"n_slots": 0},
        "policy": {"kind": "continue"},
    }
    for k, v in over.items():
        if v is _DROP:
            del d[k]
        else:
            d[k] = {**d[k], **v} if isinstance(v, dict) and isinstance(d.get(k), dict) else v
    return scenario_from_dict(d)


def _log_vol_ratio(a, b, step):
    """ln(V_a / V_b) of patient 0's burden (one lesion: its true diameter) at grid step ``step``."""
    return 3.0 * math.log(float(a.burden[0, step]) / float(b.burden[0, step]))


# ------------------------------------------------------------------ 1. LDR brachytherapy
LDR = {"name": "ldr", "modality": "ldr", "dose_rate_gy_per_h": 0.5, "duration_h": 20.0,
       "start_day": 0, "target": "primary", "alpha": 0.3, "alpha_beta": 10.0}


def test_ldr_step_log_survival_is_minus_alpha_bed_ldr():
    sc = _det(patients={"primary_organ": "bladder"}, radiation=[LDR])
    rs = tx.radiation_steps(sc.radiation[0], np.arange(0, 141, 7), 7)
    bed = float(radiation.bed_ldr(0.5, 20.0, 10.0, 0.46))
    assert rs.n_fx.sum() == 1 and rs.n_fx[0] == 1 and rs.repop_days.sum() == 0
    # same formula, two evaluation orders: agreement to a few ulps
    assert rs.log_sf == pytest.approx(-0.3 * bed, rel=1e-12)
    # g(mu T) < 1 (repair during the implant): less kill than the same dose given at once
    assert rs.log_sf > float(np.log(radiation.surviving_fraction(10.0, 0.3, 0.03)))


def test_ldr_simulated_survival_and_untreated_lesions_unchanged():
    common = dict(patients={"primary_organ": "bladder", "n_lesions_mean": 3.0, "max_lesions": 3},
                  chemo=None)
    rt = _det(radiation=[LDR], **common)
    no = _det(**common)
    a = simulate(rt, n_patients=6, seed=3, keep="all")
    b = simulate(no, n_patients=6, seed=3, keep="all")
    # growth is the same exponential in both runs: V_rt / V_no = SF = exp(-alpha BED_LDR) at every
    # later step (the implant falls in step 0, after the day-0 record)
    bed = float(radiation.bed_ldr(0.5, 20.0, 10.0, radiation.MU_REPAIR_PER_H))
    la, lb = a.lesions_frame(), b.lesions_frame()
    prim_a = la[la.lesion_id == "L1"].ld_mm.to_numpy()
    prim_b = lb[lb.lesion_id == "L1"].ld_mm.to_numpy()
    tp = la[la.lesion_id == "L1"].tp.to_numpy()
    later = tp > 0
    # recorded to 0.01 mm: |error of ln(d_a/d_b)| <= 0.005/d_a + 0.005/d_b (+ float32), times 3 for volume
    tol = 3 * (0.005 / prim_a[later] + 0.005 / prim_b[later]) + 1e-6
    assert np.all(np.abs(3 * np.log(prim_a[later] / prim_b[later]) + 0.3 * bed) <= tol)
    assert np.array_equal(prim_a[~later], prim_b[~later])
    # lesions outside the field (L2, L3 in the lung) are bit-identical
    oth_a = la[la.lesion_id != "L1"].reset_index(drop=True)
    oth_b = lb[lb.lesion_id != "L1"].reset_index(drop=True)
    assert len(oth_a) > 0
    assert oth_a.equals(oth_b)


@pytest.mark.parametrize("change, key", [
    ({"dose_rate_gy_per_h": None}, "dose_rate_gy_per_h"),
    ({"duration_h": None}, "duration_h"),
    ({"dose_rate_gy_per_h": -1.0}, "dose_rate_gy_per_h"),
    ({"duration_h": 0.0}, "duration_h"),
    ({"mu_per_h": -0.1}, "mu_per_h"),
    ({"duration_h": float("inf")}, "duration_h"),
    ({"modality": "ebrt"}, "dose_rate_gy_per_h"),  # LDR keys on a fractionated course
])
def test_ldr_config_errors_name_the_key(change, key):
    rc = {k: v for k, v in {**LDR, **change}.items() if v is not None}
    with pytest.raises(ConfigError, match=key):
        _det(patients={"primary_organ": "bladder"}, radiation=[rc])


# ------------------------------------------------------------------ 2. Simeoni one-transit kill
def test_simeoni_equals_log_kill_with_dying_compartment_and_delays_shrinkage():
    k1 = 0.05
    sim = _det(response={"kill_law": "simeoni", "simeoni_k1_per_day": k1}, dying=_DROP)
    assert sim.dying.half_life_days == pytest.approx(math.log(2) / k1, rel=1e-15)
    dying = _det(dying={"half_life_days": math.log(2) / k1})
    instant = _det()
    a, b, c = (simulate(s, n_patients=2, seed=1, keep="trajectories") for s in (sim, dying, instant))
    # the clearance factor per step exp(-k1 dt) vs exp(-(ln2/(ln2/k1)) dt): equal up to 1 ulp of k1
    np.testing.assert_allclose(a.burden, b.burden, rtol=1e-12)
    # day 42 (step 6): killed cells (1 - SF) V0 still present as exp(-k1 42); with instant
    # clearance only the survivors: V_sim / V_inst = 1 + (1 - SF) exp(-k1 42) / (SF exp(g 42))
    sf = math.exp(-1.5 * (75.0 / 21.7) / 3.46)
    expected = math.log(1 + (1 - sf) * math.exp(-k1 * 42) / (sf * math.exp(0.02 * 42)))
    assert _log_vol_ratio(a, c, 6) == pytest.approx(expected, abs=LOG_TOL)
    assert a.burden[0, 6] > c.burden[0, 6]


def test_simeoni_config():
    with pytest.raises(ConfigError, match="simeoni_k1_per_day"):
        _det(response={"kill_law": "simeoni"})
    with pytest.raises(ConfigError, match="half_life_days"):
        _det(response={"kill_law": "simeoni", "simeoni_k1_per_day": 0.05}, dying={"half_life_days": 14.0})
    with pytest.raises(ConfigError, match="simeoni_k1_per_day"):
        _det(response={"simeoni_k1_per_day": 0.05})  # only with kill_law = "simeoni"
    sc = _det(response={"kill_law": "simeoni", "simeoni_k1_per_day": 0.05}, dying=_DROP)
    assert scenario_from_dict(sc.model_dump()) == sc  # round trip


# ------------------------------------------------------------------ 3. PK model selection
def _events(dose_mg_m2):
    return exposure.Regimen("docetaxel", dose_mg_m2, 1.0, 21.0, 1).dose_events()


def test_auc_per_dose_equals_exposure_auc_for_both_pk_models():
    one = _det(chemo={"pk": "one_compartment"})
    three = _det(chemo={"pk": "docetaxel_3cpt"})
    # one compartment with the scenario's clearance (per m^2 x BSA 1.8, V 24 L: V does not enter AUC)
    pk1 = exposure.LinearPK.one_compartment(21.7 * exposure.BSA_DEFAULT_M2, 24.0)
    auc1 = float(exposure.auc(pk1, _events(75.0), 0.0, np.inf))
    auc3 = float(exposure.auc(exposure.DOCETAXEL_3CPT, _events(75.0), 0.0, np.inf))
    runs = {}
    for name, sc, ref in (("one", one, auc1), ("three", three, auc3)):
        r = simulate(sc, n_patients=2, seed=0, keep="trajectories")
        ctrl = simulate(_det(chemo=None), n_patients=2, seed=0, keep="trajectories")
        # V/V_ctrl at day 42 = exp(-kill AUC / AUC_ref) (resistant 1e-9, instant clearance)
        auc_sim = -_log_vol_ratio(r, ctrl, 6) * 3.46 / 1.5
        assert auc_sim == pytest.approx(ref, abs=LOG_TOL * 3.46 / 1.5 * 2), name
        assert 75.0 / tx.clearance_per_m2(sc.chemo) == pytest.approx(ref, rel=1e-12), name
        runs[name] = auc_sim
    # linear PK: AUC = dose / CL, so the 3-cpt choice scales exposure by CL_1cpt / CL_3cpt
    ratio = 21.7 * exposure.BSA_DEFAULT_M2 / 35.7
    assert auc3 / auc1 == pytest.approx(ratio, rel=1e-9)
    assert runs["three"] / runs["one"] == pytest.approx(ratio, rel=1e-5)


def test_default_pk_is_one_compartment_and_unchanged():
    sc = _det()
    assert sc.chemo.pk == "one_compartment"
    assert tx.clearance_per_m2(sc.chemo) == 21.7  # exactly the configured clearance (bit-identical)
    with pytest.raises(ConfigError, match="chemo.pk"):
        _det(chemo={"pk": "two_compartment"})


# ------------------------------------------------------------------ reproducibility
def test_new_options_same_seed_and_two_workers_identical():
    from oncodyn.scenarios import load_scenario
    from oncodyn.trials import DaskExecutor

    d = load_scenario("bladder_chemoradiation_brachy").model_dump()
    d["radiation"][-1] = {**LDR, "start_day": 35, "chemo_enhancement": 0.2}
    d["chemo"]["pk"] = "docetaxel_3cpt"
    d["chemo"]["drug"] = "docetaxel"  # the 3-compartment PK model is docetaxel's
    d["response"] = {**d["response"], "kill_law": "simeoni", "simeoni_k1_per_day": 0.05}
    del d["dying"]
    sc = scenario_from_dict(d)
    kw = dict(n_patients=200, seed=7, keep="all", chunk_size=50)
    a = simulate(sc, **kw)
    b = simulate(sc, **kw)
    with DaskExecutor(workers=2) as ex:
        c = simulate(sc, executor=ex, **kw)
    for k in ("bor", "best_pct", "pfs_days", "burden", "scan_sod", "state"):
        assert np.array_equal(getattr(a, k), getattr(b, k), equal_nan=True), k
        assert np.array_equal(getattr(a, k), getattr(c, k), equal_nan=True), k
    assert a.lesions_frame().equals(c.lesions_frame())


def test_ldr_course_in_symptoms_and_plot_spans():
    """Surfaces that lay out radiotherapy courses accept an LDR implant: one dose of rate x
    duration on its start day, spanning the implant."""
    from oncodyn.plot.treatment import radiotherapy_spans
    from oncodyn.simulate.symptoms import symptom_inputs

    sc = _det(patients={"primary_organ": "bladder"}, radiation=[LDR])
    res = simulate(sc, n_patients=4, seed=1, keep="all")
    rt = symptom_inputs(res)["radiotherapy"]
    assert np.allclose(rt["dose_gy"], 0.5 * 20.0) and set(rt["day"]) == {0.0}
    ((start, end, label),) = radiotherapy_spans(sc)
    assert start == 0.0 and end >= 20.0 / 24.0 and label.startswith("LDR")
