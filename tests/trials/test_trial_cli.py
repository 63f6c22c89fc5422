"""``oncodyn trial``: an example by name or a TRIAL.toml path, outputs written atomically, one-line
errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from oncodyn.trials.design import example_text


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oncodyn.cli.main", *args], capture_output=True,
                          text=True, timeout=timeout)


SMALL = """
name = "small"
n_patients = 60
seed = 4
control = "control"
replicates = 3
[arms.docetaxel]
scenario = "nsclc_docetaxel"
overrides = { horizon_days = 364 }
[arms.control]
scenario = "nsclc_docetaxel"
untreated = true
overrides = { horizon_days = 364 }
"""


def test_trial_cli_writes_summary_tables_and_figures(tmp_path):
    design = tmp_path / "TRIAL.toml"
    design.write_text(SMALL)
    out = tmp_path / "out"
    p = _cli("trial", str(design), "--out", str(out))
    assert p.returncode == 0, p.stderr
    names = {x.name for x in out.iterdir() if not x.name.startswith(".")}
    assert {"trial.json", "design.toml", "patients.parquet", "replicates.parquet", "km_pfs.png",
            "km_os.png", "hr_forest.png"} <= names
    s = json.loads((out / "trial.json").read_text())
    assert s["replicates"] == 3 and (s["n_control"], s["n_experimental"]) == (30, 30)
    for ep in ("pfs", "os"):
        r = s["trial_0"][ep]
        assert r["ci_low"] < r["estimate"] < r["ci_high"] and 0 <= r["p"] <= 1
        assert f"{ep.upper()} HR {r['estimate']:.2f}" in p.stdout
    pats = pd.read_parquet(out / "patients.parquet")
    assert len(pats) == 60 and set(pats["arm"]) == {"docetaxel", "control"}
    reps = pd.read_parquet(out / "replicates.parquet")
    assert len(reps) == 3 * 3 and set(reps["endpoint"]) == {"orr", "pfs", "os"}
    assert (out / "design.toml").read_text() == SMALL
    assert "power OS (primary)" not in p.stdout and "power PFS (primary)" in p.stdout


def test_trial_cli_accepts_an_example_name(tmp_path):
    out = tmp_path / "ex"
    p = _cli("trial", "docetaxel_vs_reduced_dose", "--out", str(out), "--replicates", "0",
             "--no-plots")
    assert p.returncode == 0, p.stderr
    s = json.loads((out / "trial.json").read_text())
    assert (s["control"], s["experimental"]) == ("reduced_dose", "standard_dose")
    assert (out / "design.toml").read_text() == example_text("docetaxel_vs_reduced_dose")
    assert s["replicates"] == 0 and not (out / "replicates.parquet").exists()


def test_trial_cli_bad_design_is_one_line_and_writes_nothing(tmp_path):
    design = tmp_path / "TRIAL.toml"
    design.write_text(SMALL.replace("untreated = true", "untreatd = true"))
    out = tmp_path / "out"
    p = _cli("trial", str(design), "--out", str(out))
    assert p.returncode == 2
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert str(design) in lines[0] and "arms.control.untreatd" in lines[0]
    assert not out.exists()


def test_trials_list_names_the_examples():
    p = _cli("trials", "list")
    assert p.returncode == 0, p.stderr
    assert "docetaxel_vs_control" in p.stdout and "docetaxel_vs_reduced_dose" in p.stdout


def test_trial_cli_refuses_a_non_empty_out_folder_before_simulating(tmp_path):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    p = _cli("trial", "docetaxel_vs_control", "--out", str(out), "--replicates", "0")
    assert p.returncode == 2
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "not empty" in lines[0]
    assert [x.name for x in out.iterdir()] == ["mine.txt"]
