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
    path, df = _flat(tmp_path)
    n_records = int((df.groupby("Pt_hashID").size() >= 6).sum())
    out = bench_forecast.run(path, json_out=tmp_path / "o.json", n_boot=200)
    assert out["records"] == n_records
    assert set(out["methods"]) == {*LAWS, "locf", "aicc_select"}
    for v in out["methods"].values():
        assert set(v) == {"mean_mae", "median_mae", "n_failed"}
    assert out["published"] == {} and out["ci_vs_published"] == {}  # no --published file
    assert set(out["ci_vs_locf"]) == {*LAWS, "aicc_select"}
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


def test_forecast_bench_with_published_restricts_records(tmp_path):
    path, df = _flat(tmp_path)
    ids = sorted(df.Pt_hashID.unique())
    pub = pd.DataFrame({"Pt_hashID": ids, **{law: 0.001 for law in LAWS}})
    pub.loc[0, "gompertz"] = np.nan  # excluded: not finite for every law
    pub.to_csv(tmp_path / "pub.csv", index=False)
    out = bench_forecast.run(path, published=tmp_path / "pub.csv", n_boot=200)
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


def test_model_battle_on_real_data_beats_published(shared_file):
    """Issue 2 target: for each classical law, our mean hold-out MAE <= TumorGrowth.jl's mean on
    the same records (studies 1-4: the 580 records with finite published errors).

    The margins are small (exponential: 0.0045034 vs 0.0045041; the paired-bootstrap CIs of the
    differences include 0), so an optimiser change can flip this: it is the issue's target, kept
    as a regression check, not a claim of significance."""
    out = bench_forecast.run(shared_file("data/laleh2022/flat_patient_data.csv"),
                             published=shared_file("data/laleh2022/model_battle_errors.csv"),
                             n_boot=200)
    assert out["records"] == 580
    for law in LAWS:
        assert out["methods"][law]["n_failed"] == 0
        assert out["methods"][law]["mean_mae"] <= out["published"][law]["mean_mae"], law
    # the naive forecast is the one to beat: reported, and here it wins (as published)
    assert out["methods"]["locf"]["mean_mae"] < min(out["methods"][k]["mean_mae"] for k in LAWS)


def test_demo_writes_outputs(tmp_path):
    from oncodyn.report.forecast_demo import run_forecast_demo

    res = run_forecast_demo(tmp_path / "demo", n=12, seed=3)
    for f in res.files:
        assert f.exists() and f.stat().st_size > 0
    again = run_forecast_demo(tmp_path / "demo2", n=12, seed=3)
    pd.testing.assert_frame_equal(res.table, again.table)  # seeded: same numbers
