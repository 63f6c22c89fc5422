"""Virtual trials: type I error under identical arms, a known effect, determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncodyn.trials import DaskExecutor, SerialExecutor
from oncodyn.trials.design import design_from_dict, load_design
from oncodyn.trials.run import run_trial

ONE_YEAR = {"horizon_days": 364}  # shorter follow-up: a cheaper simulation, same statistics


def _identical_arms(seed: int, n: int = 60):
    return design_from_dict({
        "name": "h0", "n_patients": n, "control": "a", "seed": seed,
        "endpoints": ["orr", "pfs", "os"],
        "arms": {"a": {"scenario": "nsclc_docetaxel", "overrides": ONE_YEAR},
                 "b": {"scenario": "nsclc_docetaxel", "overrides": ONE_YEAR}}})


@pytest.mark.slow
def test_identical_arms_reject_at_the_nominal_rate():
    """Identical arms (independent cohorts): HR ~ 1, and the share of trials with p < level is
    near the level. The count of rejections is Binomial(R, level): tolerance 3.5 binomial SDs
    (a false failure once in ~2,000 runs of a fixed seed, were the test's seed redrawn)."""
    R = 200
    res = run_trial(_identical_arms(11), replicates=R)
    for ep in ("pfs", "os"):
        rows = [r for r in res.replicate_rows if r["endpoint"] == ep]
        p = np.array([r["p"] for r in rows])
        assert p.size == R
        for level in (0.05, 0.2):
            k = int((p < level).sum())
            sd = math.sqrt(R * level * (1 - level))
            assert abs(k - R * level) <= 3.5 * sd, (ep, level, k)
        log_hr = np.log([r["estimate"] for r in rows])
        # mean log HR ~ 0: its SE is the spread of the log HRs / sqrt(R); 4 SE
        assert abs(log_hr.mean()) < 4 * log_hr.std(ddof=1) / math.sqrt(R)


def test_docetaxel_against_untreated_control_gives_hr_below_one():
    d = load_design("docetaxel_vs_control")
    res = run_trial(d, replicates=8)
    assert res.main["pfs"]["ci_high"] < 1.0  # trial 0: PFS benefit excluded HR 1
    assert res.main["orr"]["estimate"] > 0 and res.main["orr"]["orr_control"] == 0.0
    hr_os = np.array([r["estimate"] for r in res.replicate_rows if r["endpoint"] == "os"])
    assert np.median(hr_os) < 1.0 and res.power["pfs"]["success"] >= 0.75


def test_same_results_whatever_the_executor_and_the_number_of_trials():
    d = _identical_arms(5, n=40)
    serial = run_trial(d, replicates=5, executor=SerialExecutor(), batch_size=2)
    with DaskExecutor(workers=2) as ex:
        dask = run_trial(d, replicates=5, executor=ex, batch_size=2)
    assert serial.replicate_rows == dask.replicate_rows
    assert serial.power == dask.power
    only0 = run_trial(d, replicates=0)
    assert only0.main == serial.main and only0.patients.equals(serial.patients)
    first = {r["endpoint"]: {k: v for k, v in r.items() if k not in ("replicate", "endpoint")}
             for r in serial.replicate_rows if r["replicate"] == 0}
    assert first == serial.main  # trial 0 is replicate 0
    other = run_trial(_identical_arms(6, n=40), replicates=0)
    assert not other.patients.equals(serial.patients)


def test_allocation_follows_the_ratio():
    d = design_from_dict({
        "name": "r", "n_patients": 90, "control": "a", "endpoints": ["pfs"],
        "arms": {"a": {"scenario": "nsclc_docetaxel", "ratio": 1, "overrides": ONE_YEAR},
                 "b": {"scenario": "nsclc_docetaxel", "ratio": 2, "overrides": ONE_YEAR}}})
    res = run_trial(d)
    assert res.patients["arm"].value_counts().to_dict() == {"b": 60, "a": 30}
    assert set(res.main) == {"pfs"} and res.power == {}


def test_os_endpoint_needs_overall_survival():
    from oncodyn.errors import ConfigError
    from oncodyn.trials import analysis

    a = analysis.ArmData(np.zeros(3, bool), np.ones(3), np.ones(3, bool))
    with pytest.raises(ConfigError, match="overall survival"):
        analysis.compare_arms(a, a, ["os"])
