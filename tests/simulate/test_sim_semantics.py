"""What a scenario says is what the simulator does: the irradiated lesion, toxicity event days,
the tables written as CSV."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from oncodyn.patients.config import scenario_from_dict
from oncodyn.simulate import _treatment as tx
from oncodyn.simulate import simulate


def _sc(**kw):
    base = {"horizon_days": 126, "imaging": {"schedule": "q6w"}}
    return scenario_from_dict({**base, **kw})


@pytest.mark.parametrize("lesion", ["L1", "L2", "L3"])
def test_single_lesion_target_irradiates_that_lesion_only(lesion):
    rt = {"target": lesion, "n_fractions": 10, "dose_per_fraction_gy": 3.0}
    no_rt = simulate(_sc(chemo=None), n_patients=60, seed=4, keep="all")
    res = simulate(_sc(chemo=None, radiation=[rt]), n_patients=60, seed=4, keep="all")
    k = int(lesion[1:])
    has = no_rt.n_lesions >= k
    assert has.any() and (k == 1 or (~has).any())  # both kinds of patient (every one has L1)
    # one lesion in the field where the patient has it, none otherwise
    assert np.array_equal(res.n_irradiated, has.astype(res.n_irradiated.dtype))
    def size(r):
        f = r.lesions_frame().set_index(["subject_id", "tp", "lesion_id"])
        return f["ld_mm"].fillna(f["sa_mm"])  # nodes are measured by their short axis

    a = size(no_rt)
    b = size(res).reindex(a.index)
    last = (a.index.get_level_values("tp") == a.index.get_level_values("tp").max()) & a.notna()
    ids = a.index.get_level_values("lesion_id")
    other = last & (ids != lesion)
    # other lesions are untouched (same seed, same measurement draws); the target shrinks
    assert other.sum() > 10 and np.array_equal(a[other].to_numpy(), b[other].to_numpy())
    hit = (last & (ids == lesion)) & b.notna()
    assert hit.sum() > 5 and (b[hit] <= a[hit]).all() and (b[hit] < a[hit]).mean() > 0.5


def test_toxicity_events_follow_the_dose_that_caused_them():
    sc = _sc(chemo={"toxicity": {"model": "friberg", "slope_sd_log": 0.0, "slope_per_mg_l": 15.0}})
    res = simulate(sc, n_patients=40, seed=2, keep="all")
    ev = res.events_frame()
    tox = ev[ev.event.isin(["toxicity", "dose_reduced", "dose_delayed", "discontinued_toxicity"])]
    assert len(tox) > 0
    cycle = sc.chemo.cycle_days
    # every event lies strictly after a dose day (multiples of the cycle from start_day)
    # and within one cycle of it: the ANC nadir of that dose
    since = (tox["day"].to_numpy() - sc.chemo.start_day) % cycle
    assert (tox["day"] > 0).all() and (since > 0).all() and (since < cycle).all()
    # the nadir day of the Friberg model at this exposure
    m = np.array([4.0 / sc.chemo.toxicity.mtt_h * 15.0 * 75.0 / sc.chemo.cl_l_h_m2])
    first = tox[tox.event == "toxicity"].groupby("subject_id")["day"].min()
    cl_free = sc.chemo.cl_cv == 0
    if cl_free:
        assert np.allclose(first, tx.nadir_days(m, 0.145, 4.0 / 84.2))
    assert 5.0 <= first.min() and first.max() <= 15.0  # docetaxel nadir: about a week


def test_nadir_day_matches_the_friberg_integration():
    # grade-3 exposure of docetaxel: nadir at 6-9 days (TAXOTERE label: median 7 days)
    ktr = 4.0 / 84.2
    m = np.array([0.5, 1.0, 2.0, 3.0, 5.0])
    d = tx.nadir_days(m, 0.145, ktr)
    assert np.all(np.diff(d) > 0) and 6.0 < d[0] and d[-1] < 9.5
    # resolution of the table: one RK4 step of the integration
    grid, path = tx._friberg_path(0.145)
    j = np.searchsorted(grid, 2.0)
    t_min = (path[:, j].argmin() + 1) * tx._TAU_STEP / ktr / 24.0
    assert d[2] == pytest.approx(t_min, abs=tx._TAU_STEP / ktr / 24.0)


def test_simulate_writes_csv_on_request(tmp_path):
    out = tmp_path / "o"
    p = subprocess.run([sys.executable, "-m", "oncodyn.cli.main", "simulate", "nsclc_docetaxel",
                        "--patients", "12", "--seed", "1", "--no-plots", "--csv", "--out", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    parquets = sorted(out.glob("*.parquet"))
    assert len(parquets) == 6
    for pq in parquets:
        a = pd.read_parquet(pq)
        b = pd.read_csv(pq.with_suffix(".csv"))
        assert list(a.columns) == list(b.columns) and len(a) == len(b), pq.name
        for c in a.columns:  # numbers round-trip exactly in their own dtype (float32 too)
            if pd.api.types.is_float_dtype(a[c]) or pd.api.types.is_integer_dtype(a[c]):
                x = a[c].to_numpy()
                y = b[c].to_numpy().astype(x.dtype)
                assert np.array_equal(x, y, equal_nan=pd.api.types.is_float_dtype(a[c])), (pq, c)
            else:  # text, booleans: same missing cells, same values
                na = a[c].isna().to_numpy()
                assert np.array_equal(na, b[c].isna().to_numpy()), (pq, c)
                assert (a[c][~na].astype(str).to_numpy()
                        == b[c][~na].astype(str).to_numpy()).all(), (pq, c)


def test_neutropenia_symptoms_fall_in_the_two_weeks_after_the_dose():
    from oncodyn.simulate.symptoms import symptom_inputs, symptom_score

    sc = _sc(chemo={"toxicity": {"model": "friberg", "slope_sd_log": 0.0, "slope_per_mg_l": 15.0},
                    "cl_cv": 0.0, "n_cycles": 1})
    res = simulate(sc, n_patients=5, seed=3, keep="all")
    inputs = symptom_inputs(res)
    s = symptom_score(**inputs)
    tox = inputs["toxicity"]
    hit = set(tox.loc[tox.event == "toxicity", "subject_id"])
    assert hit  # grade 3 at 75 mg/m2 with this slope: every patient
    for sid, g in s.groupby("subject_id"):
        neut = g.set_index("day")["neutropenia"]
        if sid in hit:  # one dose on day 0: the rows of days 7 and 14, not the pre-dose day 0
            assert (neut[[7, 14]] > 0).all() and neut.drop([7, 14]).eq(0).all()
        else:
            assert neut.eq(0).all()
