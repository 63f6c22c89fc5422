"""Death and overall survival in the simulator: censoring rules, events, the tumour link, policies."""

from __future__ import annotations

import numpy as np
import pytest

from oncodyn.patients.config import scenario_from_dict
from oncodyn.scenarios import list_scenarios, load_scenario
from oncodyn.simulate import simulate
from oncodyn.trials import DaskExecutor


def _with(name: str, **over):
    d = load_scenario(name).model_dump()
    for k, v in over.items():
        if isinstance(v, dict):
            d[k] = {**(d.get(k) or {}), **v}
        else:
            d[k] = v
    return scenario_from_dict(d)


@pytest.mark.parametrize("name", list_scenarios())
def test_every_preset_has_deaths_after_progression(name):
    r = simulate(name, n_patients=600, seed=4, keep="summary")
    s = r.summary()
    assert s["os_events"] > 0 and s["deaths_after_progression"] > 0
    # OS never ends before PFS; a death without progression is a PFS event on the death day
    assert np.all(r.os_days >= r.pfs_days - 1e-9)
    no_pd_death = r.os_event & (r.pfs_days == r.os_days)
    assert np.all(r.pfs_event[no_pd_death])
    assert np.all(r.os_days <= r.scenario.horizon_days)


def test_events_name_death_and_withdrawal_and_no_scan_after_exit():
    r = simulate("nsclc_docetaxel", n_patients=400, seed=2, keep="all")
    ev, pf = r.events_frame(), r.patients_frame()
    assert "off_study" not in set(ev.event)
    deaths = ev[ev.event == "death"].set_index("subject_id")
    wd = ev[ev.event == "withdrawal"].set_index("subject_id")
    dead = pf[pf.off_study_reason == "death"].set_index("subject_id")
    assert sorted(deaths.index) == sorted(dead.index) == sorted(pf.subject_id[pf.os_event])
    assert np.allclose(deaths.loc[dead.index, "day"], dead.os_days)
    assert sorted(wd.index) == sorted(pf.subject_id[pf.off_study_reason == "withdrawal"])
    # value 1 = death after a progression (the patient's PFS event was a PD before death)
    after = deaths.loc[dead.index, "value"].to_numpy() == 1.0
    assert np.array_equal(after, (dead.pfs_days < dead.os_days).to_numpy() & dead.pfs_event.to_numpy())
    # withdrawals censor OS and PFS at the withdrawal day
    w = pf[pf.off_study_reason == "withdrawal"]
    assert not w.os_event.any() and np.allclose(w.os_days, w.off_study_day)
    # nobody is scanned on or after their exit day (recorded assessment day)
    lf = r.lesions_frame().merge(pf[["subject_id", "off_study_day"]], on="subject_id")
    assert not (lf.day >= lf.off_study_day).any()


def test_without_tumour_link_deaths_do_not_depend_on_treatment():
    # burden_log_hr = 0 and no baseline terms: the hazard is the same with and without
    # chemotherapy and the thresholds come from their own stream, so death days are identical
    surv = {"burden_log_hr": 0.0, "sites_log_hr": 0.0, "sld_log_hr": 0.0}
    treated = _with("nsclc_docetaxel", survival=surv, early_exit_prob=0.0)
    untreated = _with("nsclc_docetaxel", survival=surv, early_exit_prob=0.0, chemo=None)
    a = simulate(treated, n_patients=500, seed=9, keep="summary")
    b = simulate(untreated, n_patients=500, seed=9, keep="summary")
    assert np.array_equal(a.os_days, b.os_days) and np.array_equal(a.os_event, b.os_event)


def test_tumour_link_makes_treatment_prolong_survival():
    # with the calibrated link, docetaxel shrinks tumours and lowers the hazard: more alive at
    # one year than untreated (same patients, same thresholds); n = 3000 per arm, binomial SE of
    # the difference ~ 0.012, required margin 5 SE
    a = simulate("nsclc_docetaxel", n_patients=3000, seed=5, keep="summary")
    b = simulate(_with("nsclc_docetaxel", chemo=None), n_patients=3000, seed=5, keep="summary")
    alive = [np.mean(r.os_days > 365.25) for r in (a, b)]
    assert alive[0] - alive[1] > 5 * np.sqrt(sum(p * (1 - p) / 3000 for p in alive))


def test_policies_show_in_the_summary():
    sums = {k: simulate(_with("nsclc_docetaxel", policy={"kind": k}), n_patients=800, seed=3,
                        keep="summary").summary()
            for k in ("stop_at_pd", "holiday_after_response", "switch_at_pd")}
    keys = ("time_on_treatment_weeks_mean", "treatment_free_weeks_mean", "doses_mean")
    hol, sw, stop = sums["holiday_after_response"], sums["switch_at_pd"], sums["stop_at_pd"]
    assert all(hol[k] != sw[k] for k in keys)
    # switching at PD treats longer than stopping at PD; nobody gets more than the planned dose
    assert sw["doses_mean"] > stop["doses_mean"]
    assert all(0 < s["relative_dose_intensity_mean"] <= 1.0 for s in sums.values())


def test_os_identical_across_workers():
    kw = dict(n_patients=400, seed=6, keep="all", chunk_size=100)
    a = simulate("nsclc_docetaxel", **kw)
    with DaskExecutor(workers=2) as ex:
        b = simulate("nsclc_docetaxel", executor=ex, **kw)
    for k in ("os_days", "os_event", "exit_reason", "tot_days", "tf_days", "baseline_row"):
        assert np.array_equal(getattr(a, k), getattr(b, k)), k
    assert a.patients_frame().equals(b.patients_frame())
