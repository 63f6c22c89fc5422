"""The simulator's RECIST and the RECIST engine apply the same rules, patient by patient.

``oncodyn simulate`` writes ``recist_options.toml``; the engine, given the simulated
``lesions.parquet`` and those options, must reproduce every patient's best overall response
(including NON-CR/NON-PD), every first-PD day, and every time point's overall response and day.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from oncodyn.cli.main import app
from oncodyn.cli.recist import load_options_toml
from oncodyn.patients.config import scenario_from_dict
from oncodyn.recist import confirm, evaluate
from oncodyn.recist.options import RecistOptions
from oncodyn.scenarios import list_scenarios, load_scenario
from oncodyn.simulate import simulate
from oncodyn.simulate.recist_arrays import (
    CODES,
    NE,
    PD,
    PR,
    SD,
    best_response,
    simulator_recist_options,
)


def _engine_vs_simulator(r, opts: RecistOptions):
    res = evaluate(r.lesions_frame(), options=opts)
    errors = res.messages[res.messages["level"] == "error"]
    assert errors.empty, errors.head().to_string()
    ids = np.arange(r.n)
    br = res.best_response.set_index(res.best_response["subject_id"].astype(int))
    assert set(br.index) == set(ids)  # every simulated patient reaches the engine
    eng = br["bor"].reindex(ids).to_numpy()
    sim = np.asarray(CODES)[r.bor]
    return res, ids, eng, sim


@pytest.mark.parametrize("name", list_scenarios())
def test_engine_with_written_options_reproduces_every_best_response(name, tmp_path):
    r = simulate(name, n_patients=400, seed=3, keep="all")
    path = tmp_path / "recist_options.toml"
    path.write_text(simulator_recist_options(r.scenario).to_toml())
    opts = load_options_toml(path)  # what `oncodyn recist --options` reads
    assert opts == simulator_recist_options(r.scenario)
    res, ids, eng, sim = _engine_vs_simulator(r, opts)
    bad = ids[eng != sim]
    assert bad.size == 0, (f"{bad.size}/{r.n} BOR disagree, e.g. patients {bad[:10].tolist()}: "
                           f"sim {sim[bad[:10]].tolist()} engine {eng[bad[:10]].tolist()}")
    # first PD: same patients, same day (pfs_day_offset 0: days since day 0, as the simulator)
    pf = res.pfs.set_index(res.pfs["subject_id"].astype(int))
    sim_pd = (r.scan_resp[:, 1:] == PD).any(axis=1)
    assert np.array_equal(sim_pd, (pf["reason"].reindex(ids) == "PD").to_numpy())
    assert np.array_equal(pf["day"].reindex(ids).to_numpy()[sim_pd], r.pfs_days[sim_pd])
    # time points in the evaluation window (up to and including the first PD, RECIST.md R8.1):
    # same overall response on the same recorded day (after the first PD the simulator's time
    # points drive treatment policies and count a new lesion only at the scan that finds it)
    tp = r.timepoints_frame()
    tp = tp[tp.tp > 0]
    first_pd_tp = tp[tp.overall == "PD"].groupby("subject_id")["tp"].min()
    limit = first_pd_tp.reindex(tp["subject_id"]).fillna(np.inf).to_numpy()
    tp = tp[tp["tp"].to_numpy() <= limit].set_index(["subject_id", "tp"])
    et = res.timepoints.assign(subject_id=res.timepoints["subject_id"].astype(int))
    et = et.set_index(["subject_id", "tp"]).reindex(tp.index)
    assert np.array_equal(et["overall"].to_numpy(dtype=object), tp["overall"].to_numpy(dtype=object))
    assert np.array_equal(et["day"].to_numpy(dtype=float), tp["day"].to_numpy(dtype=float))
    # not a vacuous comparison: several categories and progressions occur
    assert len(set(sim)) >= 3 and sim_pd.sum() >= 5


def _nontarget_only_scenario():
    """Lesions of ~4 mm (below the 10 mm measurability limit): most patients are followed on
    non-target disease only (measurement error lifts a few lesions above 10 mm)."""
    return scenario_from_dict({
        "name": "nt_only", "horizon_days": 364, "dt_days": 7,
        "patients": {"n_lesions_mean": 2.0, "max_lesions": 3, "organs": ["liver"],
                     "organ_probs": [1.0], "primary_organ": "liver",
                     "diam_median_mm": 4.0, "diam_sd_log": 0.1},
        "growth": {"law": "exponential", "rate_per_day": 0.004},
        "chemo": {"dose_mg_m2": 75.0, "cycle_days": 21, "n_cycles": 4},
        "imaging": {"schedule": "q6w"},
    })


def test_non_target_only_patients_are_non_cr_non_pd_in_both():
    r = simulate(_nontarget_only_scenario(), n_patients=150, seed=2, keep="all")
    nt_only = r.n_targets == 0
    assert nt_only.sum() >= r.n // 3
    _, ids, eng, sim = _engine_vs_simulator(r, simulator_recist_options(r.scenario))
    assert np.array_equal(eng, sim)
    assert "SD" not in set(sim[nt_only])  # without targets no SD, only NON-CR/NON-PD
    k = int((sim == "NON-CR/NON-PD").sum())
    assert k >= 10 and set(sim[~nt_only]) - {"NE"} and not (sim[~nt_only] == "NON-CR/NON-PD").any()
    s = r.summary()
    assert s["best_response_counts"]["NON-CR/NON-PD"] == k
    # disease control = CR + PR + SD + NON-CR/NON-PD
    c = s["best_response_counts"]
    assert s["dcr"] == pytest.approx((c["CR"] + c["PR"] + c["SD"] + k) / r.n)
    tp = r.timepoints_frame()
    assert "SD" not in set(tp.loc[nt_only[tp["subject_id"].to_numpy()], "overall"])


def test_timepoints_table_has_no_runtime_warning_and_no_pct_without_targets():
    r = simulate(_nontarget_only_scenario(), n_patients=20, seed=1, keep="all")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        tp = r.timepoints_frame()
    no_base = (r.base_sod == 0)[tp["subject_id"].to_numpy()]
    assert no_base.any() and tp.loc[no_base, "pct_change_from_baseline"].isna().all()
    assert tp.loc[~no_base, "pct_change_from_baseline"].notna().all()


def test_timepoint_days_are_the_recorded_assessment_days():
    r = simulate("nsclc_docetaxel", n_patients=50, seed=1, keep="all")
    assert r.scenario.imaging.scan_jitter_days > 0
    tp = r.timepoints_frame()
    lf = r.lesions_frame()
    lday = lf.groupby(["subject_id", "tp"])["day"].first()
    tday = tp.set_index(["subject_id", "tp"])["day"]
    assert np.array_equal(tday.reindex(lday.index).to_numpy(), lday.to_numpy())
    assert (tp["day"] != tp["nominal_day"]).any()  # jitter is there, and reported


def _codes(*names):
    return np.array([[CODES.index(n) for n in names]], dtype=np.int8)


def test_sd_between_response_and_confirmation_breaks_it_by_default():
    # PR, SD, SD, PR, PD at q6w: the first PR is followed by SD, the second by PD (RECIST 1.1
    # Table 3: PR then SD -> SD); with accept_sd_between the later PR confirms the first
    resp = _codes("PR", "SD", "SD", "PR", "PD")
    days = np.array([42, 84, 126, 168, 210])
    strict = RecistOptions(confirmation_required=True, min_sd_days=49)
    bor, first_pd = best_response(resp, days, options=strict)
    assert bor[0] == SD and first_pd[0] == 4
    lenient = strict.with_changes(accept_sd_between=True)
    assert best_response(resp, days, options=lenient)[0][0] == PR


@pytest.mark.parametrize(("seq", "days", "expected"), [
    (("PR", "PR"), (42, 70), PR),     # confirmed exactly 28 days later
    (("PR", "PR"), (42, 69), SD),     # 27 days: not confirmed; SD (day 42 >= 35)
    (("PR", "NE", "PR"), (42, 84, 126), PR),   # one NE between is allowed (default)
    (("PR", "NE", "NE", "PR"), (42, 84, 126, 168), SD),  # two are not
    (("SD", "PD"), (28, 70), PD),     # SD before the SD minimum (35 d) -> PD
    (("NE", "NE"), (42, 84), NE),
])
def test_simulator_best_response_follows_recist_table_3(seq, days, expected):
    opts = RecistOptions(confirmation_required=True, min_sd_days=35)
    assert best_response(_codes(*seq), np.array(days), options=opts)[0][0] == expected


def test_engine_codes_and_simulator_codes_name_the_same_responses():
    from oncodyn.recist import vectorized

    assert list(vectorized.T_CODES) == list(confirm.BOR_CODES)
    assert (vectorized.CR, vectorized.PR, vectorized.SD, vectorized.PD, vectorized.NE,
            vectorized.NN) == (confirm.CR, confirm.PR, confirm.SD, confirm.PD, confirm.NE,
                               confirm.NN)


def test_simulator_options_come_from_the_scenario():
    for name in list_scenarios():
        sc = load_scenario(name)
        o = simulator_recist_options(sc)
        assert o.confirmation_required and o.pfs_day_offset == 0
        assert (o.confirm_min_days, o.min_sd_days) == (sc.imaging.confirm_days, sc.imaging.min_sd_days)


def test_cli_recist_on_simulate_output_reproduces_best_response(tmp_path):
    runner = CliRunner()
    sim = tmp_path / "sim"
    r1 = runner.invoke(app, ["simulate", "nsclc_docetaxel", "--patients", "300", "--seed", "1",
                             "--out", str(sim), "--no-plots"])
    assert r1.exit_code == 0, r1.output
    assert "RuntimeWarning" not in r1.output
    rec = tmp_path / "rec"
    r2 = runner.invoke(app, ["recist", str(sim / "lesions.parquet"), "--options",
                             str(sim / "recist_options.toml"), "--out", str(rec), "--no-plots"])
    assert r2.exit_code == 0, r2.output
    pats = pd.read_parquet(sim / "patients.parquet").set_index("subject_id")["bor"]
    eng = pd.read_parquet(rec / "best_response.parquet")
    eng = eng.set_index(eng["subject_id"].astype(int))["bor"].reindex(pats.index)
    assert (eng.to_numpy() == pats.to_numpy()).all()
    counts = json.loads((sim / "summary.json").read_text())["best_response_counts"]
    assert counts["PR"] == int((eng == "PR").sum())


@pytest.mark.parametrize("name", list_scenarios())
def test_no_runtime_warning_from_results_and_tables(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        r = simulate(name, n_patients=150, seed=2, keep="all")
        r.summary()
        for frame in (r.patients_frame, r.timepoints_frame, r.lesions_frame, r.events_frame,
                      r.trajectories_frame):
            frame()
