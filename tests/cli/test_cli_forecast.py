"""``oncodyn forecast``: per series, future point forecasts, 80%/95% intervals and P(PD)."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

from oncodyn.cli.forecast import future_times
from oncodyn.cli.main import run
from oncodyn.inference.scores import pd_threshold
from oncodyn.models import get_model


def cli(monkeypatch, capsys, *args):
    """Run the console entry point in-process; return (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["oncodyn", *map(str, args)])
    with pytest.raises(SystemExit) as info:
        run()
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def simulated(tmp_path, n=200, n_known=6, seed=2):
    """Stein g/d series (8 scans every 6 weeks, 8% proportional error); the file holds the
    first ``n_known`` scans, the rest are returned as the truth to forecast."""
    m = get_model("stein_gd")
    rng = np.random.default_rng(seed)
    t = np.arange(8) * 42.0
    phi = np.log([60.0, 0.002, 0.01]) + rng.normal(0, [0.3, 0.5, 0.5], (n, 3))
    f = m.predict(np.broadcast_to(t, (n, t.size)), np.exp(phi))
    y = np.round(f * (1 + 0.08 * rng.standard_normal(f.shape)), 1)
    rows = [(f"P{i:03d}", t[j], y[i, j]) for i in range(n) for j in range(n_known)]
    path = tmp_path / "sim.csv"
    pd.DataFrame(rows, columns=["subject", "time", "size"]).to_csv(path, index=False)
    return path, y


def test_future_scan_times():
    t = future_times(np.array([0.0, 100.0]), 12, 6)
    np.testing.assert_array_equal(t, [[42.0, 84.0], [142.0, 184.0]])
    t = future_times(np.array([0.0]), 10, 4)  # 4, 8, then the horizon itself
    np.testing.assert_array_equal(t, [[28.0, 56.0, 70.0]])


def score(out, y, n_known):
    fc = pd.read_csv(out / "forecasts.csv", dtype={"subject": str})
    i = fc["subject"].str[1:].astype(int).to_numpy()
    obs = y[i, n_known - 1 + fc["step"].to_numpy()]
    cov = {lev: float(((fc[f"lower_{lev}"] <= obs) & (obs <= fc[f"upper_{lev}"])).mean())
           for lev in (80, 95)}
    ns = pd.read_csv(out / "next_scan.csv", dtype={"subject": str})
    j = ns["subject"].str[1:].astype(int).to_numpy()
    event = (y[j, n_known] >= ns["pd_threshold_diameter_mm"]).astype(float)
    brier = float(np.mean((ns["p_pd_next_scan"] - event) ** 2))
    base = float(event.mean() * (1 - event.mean()))
    mae = float(np.mean(np.abs(fc["forecast"] - obs)))
    locf = float(np.mean(np.abs(y[i, n_known - 1] - obs)))
    return fc, ns, cov, brier, base, mae, locf


def test_forecast_tables_intervals_and_pd(monkeypatch, capsys, tmp_path):
    path, y = simulated(tmp_path)
    out = tmp_path / "out"
    code, stdout, err = cli(monkeypatch, capsys, "forecast", path, "--model", "stein_gd",
                            "--horizon", "12", "--out", out)
    assert code == 0, err
    assert "200 series forecast up to 12 weeks" in stdout
    fc, ns, cov, brier, base, mae, locf = score(out, y, 6)
    assert len(fc) == 400 and len(ns) == 200
    assert np.array_equal(fc["weeks_after_last_scan"].unique(), [6.0, 12.0])
    # nested intervals around the point forecast
    for lo, hi in (("lower_95", "lower_80"), ("lower_80", "forecast"), ("forecast", "upper_80"),
                   ("upper_80", "upper_95")):
        assert (fc[lo] <= fc[hi] + 1e-12).all(), (lo, hi)
    assert ns["p_pd_next_scan"].between(0, 1).all()
    # the PD threshold is the RECIST size rule on the nadir of the known scans
    nadir = y[ns["subject"].str[1:].astype(int), :6].min(axis=1)
    np.testing.assert_allclose(ns["pd_threshold_diameter_mm"], pd_threshold(nadir))
    # intervals do not under-cover: 400 forecasts of 200 series, binomial SE on 200 series
    for lev in (80, 95):
        p = lev / 100
        assert cov[lev] >= p - 3 * np.sqrt(p * (1 - p) / 200), cov
    # P(PD) beats the base-rate forecast and the points beat LOCF on these trending series
    assert brier < base
    assert mae < locf
    rep = json.loads((out / "forecast_report.json").read_text())
    assert rep["method"]["name"] == "empirical_bayes_stein_gd"
    assert rep["data"]["series_forecast"] == 200 and rep["data"]["rows_loaded"] == 1200
    assert pd.read_parquet(out / "forecasts.parquet")["forecast"].equals(fc["forecast"])


def test_same_seed_same_forecast(monkeypatch, capsys, tmp_path):
    path, _ = simulated(tmp_path, n=40)
    outs = []
    for k in range(2):
        out = tmp_path / f"out{k}"
        assert cli(monkeypatch, capsys, "forecast", path, "--model", "stein_gd", "--horizon",
                   "6", "--out", out, "--seed", "3")[0] == 0
        outs.append((out / "forecasts.csv").read_bytes())
    assert outs[0] == outs[1]


@pytest.mark.parametrize(("args", "needle"), [
    (["--horizon", "0"], "--horizon must be a positive"),
    (["--horizon", "12", "--every", "-1"], "--every must be a positive"),
    (["--horizon", "12", "--model", "nope"], "unknown model"),
])
def test_bad_options_one_line_exit_2_nothing_written(monkeypatch, capsys, tmp_path, args,
                                                     needle):
    path, _ = simulated(tmp_path, n=5)
    if "--model" not in args:
        args = [*args, "--model", "stein_gd"]
    code, _, err = cli(monkeypatch, capsys, "forecast", path, "--out", tmp_path / "out", *args)
    assert code == 2 and err.startswith("error: ") and needle in err
    assert len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim.csv"]


@pytest.mark.slow
def test_population_conditioned_forecast_is_calibrated(monkeypatch, capsys, tmp_path):
    path, y = simulated(tmp_path)
    out = tmp_path / "out"
    code, _, err = cli(monkeypatch, capsys, "forecast", path, "--model", "stein_gd",
                       "--horizon", "12", "--population", "--out", out)
    assert code == 0, err
    _, _, cov, brier, base, mae, locf = score(out, y, 6)
    for lev in (80, 95):  # within 3 binomial SE (200 series) of nominal, both ways
        p = lev / 100
        assert abs(cov[lev] - p) <= 3 * np.sqrt(p * (1 - p) / 200), cov
    assert brier < base and mae < locf
    rep = json.loads((out / "forecast_report.json").read_text())
    assert rep["method"]["name"] == "population_stein_gd"


def test_horizon_longer_than_the_known_scans_still_forecasts(monkeypatch, capsys, tmp_path):
    """5 known scans, 3 future scans: the calibration's pseudo-forecasts hold out one scan,
    not three, so they still have more scans than the model has parameters."""
    path, y = simulated(tmp_path, n=60, n_known=5)
    out = tmp_path / "out"
    code, stdout, err = cli(monkeypatch, capsys, "forecast", path, "--model", "stein_gd",
                            "--horizon", "18", "--out", out)
    assert code == 0, err
    assert "60 series forecast up to 18 weeks with empirical_bayes_stein_gd (0 without)" in stdout
    fc = pd.read_csv(out / "forecasts.csv")
    assert len(fc) == 180 and fc[["forecast", "lower_95", "upper_95"]].notna().all().all()
    # later scans are less certain: the 95% interval widens with the horizon on average
    width = (fc["upper_95"] - fc["lower_95"]).groupby(fc["step"]).mean()
    assert width.is_monotonic_increasing


def test_no_calibration_possible_is_said_not_hidden(monkeypatch, capsys, tmp_path):
    """3 known scans for a 3-parameter model: the pseudo-forecasts (2 scans) cannot be fitted,
    so no interval can be calibrated; the run says so instead of inventing forecasts."""
    path, _ = simulated(tmp_path, n=30, n_known=3)
    out = tmp_path / "out"
    code, stdout, err = cli(monkeypatch, capsys, "forecast", path, "--model", "stein_gd",
                            "--horizon", "6", "--out", out)
    assert code == 0, err
    assert "0 series forecast" in stdout and "no calibration" in err
    rep = json.loads((out / "forecast_report.json").read_text())
    assert rep["data"]["series_without_forecast"] == 30
    assert "no calibration" in rep["warnings"][0]
