"""``oncodyn bench popfit``: the JSON keys the issue names, from a real (small) run."""

from __future__ import annotations

import json
import subprocess
import sys

from oncodyn.bench.popfit import run

KEYS = {"patients", "wall_s", "iterations", "minus2ll", "theta_rel_error", "omega_rel_error"}


def test_popfit_run_writes_the_issue_keys(tmp_path):
    out = run(150, seed=1, json_out=tmp_path / "p.json", n_iter=(60, 40))
    saved = json.loads((tmp_path / "p.json").read_text())
    assert KEYS <= set(saved)
    assert saved["patients"] == 150 and saved["iterations"] == 100
    assert set(saved["theta_rel_error"]) == set(saved["omega_rel_error"]) == {"y0", "g", "d"}
    assert saved["wall_s"] > 0 and saved["baseline_individual_fit_s"] > 0
    # 150 patients: typical values within 25% (a few SEs at this size), a finite -2LL
    assert all(abs(v) < 0.25 for v in out["theta_rel_error"].values())
    assert out["minus2ll"] == saved["minus2ll"] and out["status"] in ("converged", "warning")


def test_popfit_cli_errors_and_output(tmp_path):
    cmd = [sys.executable, "-m", "oncodyn.cli.main", "bench", "popfit"]
    r = subprocess.run(cmd + ["--patients", "20", "--iterations", "50", "--json",
                              str(tmp_path / "o.json")],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert KEYS <= set(json.loads((tmp_path / "o.json").read_text()))
    assert "20 patients, 50 SAEM iterations" in r.stdout
    r = subprocess.run(cmd + ["--patients", "20", "--real", "missing.csv"], capture_output=True,
                       text=True, cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("error:")
    assert len(r.stderr.strip().splitlines()) == 1 and "missing.csv" in r.stderr


def test_replicates_summarise_bias_and_coverage():
    from oncodyn.bench.popfit import replicates

    rep = replicates(2, 80, seed=5, n_iter=(40, 30))
    assert rep["n_rep"] == 2 and rep["patients"] == 80
    for key in ("theta_mean_rel_error", "theta_mean_rel_error_se", "omega_mean_rel_error",
                "theta_ci95_coverage", "theta_max_abs_rel_error"):
        assert set(rep[key]) == {"y0", "g", "d"}, key
    assert all(v in (0.0, 0.5, 1.0) for v in rep["theta_ci95_coverage"].values())
    assert all(rep["theta_max_abs_rel_error"][k] >= abs(rep["theta_mean_rel_error"][k])
               for k in ("y0", "g", "d"))
