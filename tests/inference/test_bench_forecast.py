"""The forecast and fit benchmarks run on any file in TumorGrowth.jl's flat format."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from oncodyn.bench import fit as bench_fit
from oncodyn.bench import forecast as bench_forecast
from oncodyn.errors import DataError

LAWS = ("exponential", "logistic", "gompertz", "classical_bertalanffy", "bertalanffy")


def _flat(tmp_path, n=30, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        k = rng.integers(4, 9)
        t = np.sort(rng.choice(np.arange(1, 60), size=k, replace=False)).astype(float)
        v = 0.01 * np.exp(rng.normal(0, 0.3)) * np.exp(rng.uniform(-0.02, 0.02) * t)
        v = v * np.exp(rng.normal(0, 0.05, k))
        for tt, vv in zip(t, v, strict=True):
            rows.append({"Pt_hashID": f"id{i}", "T_weeks": tt, "Lesion_normvol": vv})
    df = pd.DataFrame(rows)
    p = tmp_path / "flat.csv"
    df.to_csv(p, index=False)
    return p, df


def test_forecast_bench_keys_and_counts(tmp_path):
    path, df = _flat(tmp_path, n=80)
    n_records = int((df.groupby("Pt_hashID").size() >= 6).sum())
    out = bench_forecast.run(path, json_out=tmp_path / "o.json", n_boot=200, saem=False)
    assert out["records"] == n_records
    penalised = {f"{law}_penalised{cv}" for law in LAWS if law != "exponential"
                 for cv in ("", "_crossfit")}
    penalised |= {f"{law}_tumorgrowth" for law in LAWS if law != "exponential"}
    probabilistic = {"locf_quantile", "locf_quantile_relative", "population_eb_gompertz",
                     "population_eb_exponential"}
    probabilistic |= {"locf_quantile_crossfit", "locf_quantile_relative_crossfit",
                      "population_eb_gompertz_training", "population_eb_exponential_training"}
    assert set(out["methods"]) == {*LAWS, "locf", "aicc_select", *penalised, *probabilistic}
    interval_keys = {"coverage_80", "coverage_95", "mean_width_95", "interval_score_95"}
    for name, v in out["methods"].items():
        assert {"mean_mae", "median_mae", "n_failed"} <= set(v)
        if name in probabilistic:
            assert interval_keys | {"brier_pd"} <= set(v)
            assert 0.0 <= v["brier_pd"] <= 1.0
        elif name not in ("locf", "aicc_select") and not name.endswith(("_crossfit",
                                                                          "_tumorgrowth")):
            assert interval_keys <= set(v)
    assert 0.0 < out["brier_pd_base_rate"] <= 0.25  # r(1 - r)
    assert out["published"] == {} and out["ci_vs_published"] == {}  # no --published file
    assert set(out["ci_vs_locf"]) == {*LAWS, "aicc_select", *penalised, *probabilistic}
    assert set(out["ci_interval_score_vs_locf_quantile"]) == probabilistic - {"locf_quantile"}
    # LOCF-based methods forecast the last value: the same MAE as LOCF
    assert out["methods"]["locf_quantile"]["mean_mae"] == out["methods"]["locf"]["mean_mae"]
    assert all(lo <= hi for lo, hi in out["ci_vs_locf"].values())
    assert set(LAWS) | {"locf", "total"} <= set(out["wall_s"])
    assert out["input"]["series"] == df.Pt_hashID.nunique() and out["input"]["rows"] == len(df)
    assert json.loads((tmp_path / "o.json").read_text())["records"] == n_records
    # LOCF by hand
    maes = []
    for _, g in df.groupby("Pt_hashID"):
        if len(g) < 6:
            continue
        g = g.sort_values("T_weeks")
        maes.append(np.mean(np.abs(g.Lesion_normvol.to_numpy()[-2:] - g.Lesion_normvol.to_numpy()[-3])))
    assert out["methods"]["locf"]["mean_mae"] == pytest.approx(np.mean(maes), rel=1e-12)


def test_saem_population_forecaster_runs_on_diameters_in_days():
    """The SAEM adapter of the benchmark: fit_population + posterior on the training parts give
    finite predictive intervals and P(PD) (weeks -> days, volumes -> diameters)."""
    from oncodyn.bench import _probabilistic as prob
    from oncodyn.data.datasets import tumorgrowth_normvol
    from oncodyn.inference import (
        SeriesBatch,
        calibrated_forecast,
        population_method,
        saem_population,
    )

    rng = np.random.default_rng(8)
    n = 60
    t = [np.array([0.1, 6, 12, 18, 24, 30]) for _ in range(n)]
    d = [30 * np.exp(-0.02 * tt + 0.015 * tt * rng.random()) * np.exp(rng.normal(0, 0.05, 6))
         for tt in t]
    v = [tumorgrowth_normvol(x) for x in d]
    batch = SeriesBatch.from_lists(list(range(n)), t, v)
    meth = population_method("stein_gd", prob.DIAMETER_SCALE, n_draws=20, on_diameter=True,
                             time_factor=7.0,
                             population=saem_population("stein_gd", n_draws=20, n_iter=(60, 40)))
    fc = calibrated_forecast(meth, batch, holdout=2, scale=prob.DIAMETER_SCALE, name="p",
                             calibration="crossfit")
    assert np.all(np.isfinite(fc.lower)) and np.all(np.isfinite(fc.p_pd))
    assert np.all(fc.lower[1] <= fc.lower[0]) and np.all(fc.upper[0] <= fc.upper[1])


def test_forecast_bench_with_published_restricts_records(tmp_path):
    path, df = _flat(tmp_path)
    ids = sorted(df.Pt_hashID.unique())
    pub = pd.DataFrame({"Pt_hashID": ids, **{law: 0.001 for law in LAWS}})
    pub.loc[0, "gompertz"] = np.nan  # excluded: not finite for every law
    pub.to_csv(tmp_path / "pub.csv", index=False)
    out = bench_forecast.run(path, published=tmp_path / "pub.csv", n_boot=200, saem=False)
    counts = df.groupby("Pt_hashID").size()
    expected = sum(1 for i in ids[1:] if counts[i] >= 6)
    assert out["records"] == expected
    assert out["published"]["gompertz"]["mean_mae"] == pytest.approx(0.001)
    lo, hi = out["ci_vs_published"]["gompertz"]
    assert lo <= out["methods"]["gompertz"]["mean_mae"] - 0.001 <= hi


def test_bad_flat_file_names_row_and_column(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("Pt_hashID,T_weeks,Lesion_normvol\na,0.1,0.5\na,6,oops\n")
    with pytest.raises(DataError, match=r"row 3.*Lesion_normvol"):
        bench_forecast.run(p)
    q = tmp_path / "nocol.csv"
    q.write_text("id,t,v\na,1,2\n")
    with pytest.raises(DataError, match="missing column"):
        bench_forecast.run(q)


@pytest.mark.slow
def test_batched_fit_not_worse_than_the_loop_on_real_series(shared_file):
    """The logistic law was the batched fitter's weakest (97.8% not worse than the per-series
    SciPy loop before polishing): on all 1,318 real series it must now be >= 99%."""
    out = bench_fit.run(shared_file("data/laleh2022/flat_patient_data.csv"), laws=("logistic",))
    assert out["series"] == 1318
    assert out["loss_not_worse_fraction"] >= 0.99


def test_fit_bench_small(tmp_path):
    path, _ = _flat(tmp_path, n=12)
    out = bench_fit.run(path, laws=("exponential", "gompertz"))
    assert out["series"] == 12
    assert {"speedup", "loss_not_worse_fraction", "loss_not_worse_fraction_tol", "wall_s",
            "per_law"} <= set(out)
    assert set(out["wall_s"]) == {"oncodyn", "scipy_loop"}
    assert out["speedup"] == pytest.approx(out["wall_s"]["scipy_loop"] / out["wall_s"]["oncodyn"],
                                           rel=0.01)  # both rounded to 4 decimals
    # the tolerant count includes every strict success
    assert 0.0 <= out["loss_not_worse_fraction"] <= out["loss_not_worse_fraction_tol"] <= 1.0


def test_cli_bench_error_is_one_line(tmp_path):
    r = subprocess.run([sys.executable, "-m", "oncodyn.cli.main", "bench", "forecast", "--data",
                        str(tmp_path / "missing.csv"), "--json", str(tmp_path / "x.json")],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.json").exists()


@pytest.mark.slow
def test_model_battle_on_real_data_beats_published(shared_file):
    """Issue 2 target: for each classical law, our mean hold-out MAE <= TumorGrowth.jl's mean on
    the same records (studies 1-4: the 580 records with finite published errors).

    The margins are small (exponential: 0.0045034 vs 0.0045041; the paired-bootstrap CIs of the
    differences include 0), so an optimiser change can flip this: it is the issue's target, kept
    as a regression check, not a claim of significance."""
    out = _real_battle(shared_file)
    assert out["records"] == 580
    for law in LAWS:
        assert out["methods"][law]["n_failed"] == 0
        assert out["methods"][law]["mean_mae"] <= out["published"][law]["mean_mae"], law
    # the naive forecast is the one to beat: reported, and here it wins (as published)
    assert out["methods"]["locf"]["mean_mae"] < min(out["methods"][k]["mean_mae"] for k in LAWS)


_BATTLE: dict = {}


def _real_battle(shared_file):
    """One run of the battle on the real records, shared by the tests that read it."""
    if not _BATTLE:
        _BATTLE.update(bench_forecast.run(
            shared_file("data/laleh2022/flat_patient_data.csv"),
            published=shared_file("data/laleh2022/model_battle_errors.csv"), n_boot=400))
    return _BATTLE


@pytest.mark.slow
def test_population_forecaster_meets_the_probabilistic_targets(shared_file):
    """Issue 7 targets on studies 1-4 (580 records, 1,160 held-out points): coverage within 3
    points of nominal (the binomial SE of a coverage is 1.2 points at 80%, 0.6 at 95%), point
    MAE not worse than LOCF (CI of the difference not entirely above 0), interval score below
    the LOCF-quantile baseline with a CI excluding 0, Brier score of P(PD) below the base rate."""
    out = _real_battle(shared_file)
    for name in ("population_gompertz", "population_eb_gompertz"):  # SAEM, empirical Bayes
        m = out["methods"][name]
        assert abs(m["coverage_80"] - 0.80) < 0.03, (name, m["coverage_80"])
        assert abs(m["coverage_95"] - 0.95) < 0.03, (name, m["coverage_95"])
        assert out["ci_vs_locf"][name][0] <= 0.0, name
        assert m["interval_score_95"] < out["methods"]["locf_quantile"]["interval_score_95"]
        assert m["brier_pd"] < out["brier_pd_base_rate"], name
        assert out["ci_brier_vs_base_rate"][name][1] < 0.0, name
        # every study calibrated on the other studies only (a study we do not have)
        for study, r in out["leave_one_study_out"][name].items():
            assert abs(r["coverage_95"] - 0.95) < 0.05, (name, study, r)
            assert r["brier_pd"] < r["brier_pd_base_rate"], (name, study, r)
    # with a CI excluding 0 for the empirical-Bayes forecaster (the SAEM one is borderline:
    # its upper bound sits within bootstrap noise of 0, reported as measured)
    assert out["ci_interval_score_vs_locf_quantile"]["population_eb_gompertz"][1] < 0.0
    # the baseline's quantiles come from the training parts only: stated, and reported as is
    assert out["methods"]["locf_quantile"]["calibration"] == "training"


@pytest.mark.slow
def test_penalised_laws_beside_published_on_sane_records(shared_file):
    """The 577 records whose published errors are finite and <= 0.1 for every classical law:
    the penalty (TumorGrowth.jl's, lam = 0.8) brings each law's mean within the noise of the
    published one (paired CI containing 0), where the unpenalised fits were further off."""
    pv = _real_battle(shared_file)["penalised_vs_published"]
    assert pv["records"] == 577
    for law, row in pv["laws"].items():
        if law == "exponential":
            continue
        lo, hi = row["ci_penalised_vs_published"]
        assert lo <= 0.0 <= hi, (law, row)
        assert row["penalised_n_failed"] == 0


@pytest.mark.slow
def test_tumorgrowth_recipe_reproduces_published_errors_and_matches_them(shared_file):
    """Fitted with TumorGrowth.jl's own recipe (penalty + scaled Adam + fixed step count), each
    law reproduces the published per-record errors up to float64 rounding (median difference
    ~1e-16 relative to errors of ~1e-3; records whose calibration hit a bound, about 0.5%, may
    differ), so its mean over the 577 sane records is not above the published one."""
    pv = _real_battle(shared_file)["penalised_vs_published"]
    for law, row in pv["laws"].items():
        if law == "exponential":
            continue
        assert row["tumorgrowth_recipe_median_abs_diff_vs_published"] < 1e-12, law
        assert row["tumorgrowth_recipe_within_1pct_of_published"] >= 0.98, law
        assert row["tumorgrowth_recipe_n_failed"] == 0
        assert row["tumorgrowth_recipe_mean_mae"] <= row["published_mean_mae"], (law, row)
        lo, hi = row["ci_tumorgrowth_recipe_vs_published"]
        assert lo <= 0.0 <= hi, (law, row)


def test_demo_writes_outputs(tmp_path):
    from oncodyn.report.forecast_demo import run_forecast_demo

    res = run_forecast_demo(tmp_path / "demo", n=12, seed=3)
    for f in res.files:
        assert f.exists() and f.stat().st_size > 0
    again = run_forecast_demo(tmp_path / "demo2", n=12, seed=3)
    pd.testing.assert_frame_equal(res.table, again.table)  # seeded: same numbers
