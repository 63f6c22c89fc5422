"""``oncodyn simulate`` / ``oncodyn scenarios`` end to end, and the atomic output-folder writer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncodyn.data.outputs import MARKER, check_output_folder, write_output_folder
from oncodyn.errors import DataError
from oncodyn.scenarios import list_scenarios

TABLES = ("patients", "trajectories", "lesions", "recist_timepoints", "events", "symptoms")
FIGURES = ("burden", "spider", "waterfall", "swimmer", "symptoms", "km_pfs", "km_os")


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oncodyn.cli.main", *args], capture_output=True,
                          text=True, timeout=timeout)


def _one_line_error(p: subprocess.CompletedProcess) -> str:
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, p.stderr
    assert "Traceback" not in p.stderr
    return lines[0]


# ---------------------------------------------------------------- oncodyn simulate, every preset
@pytest.mark.parametrize("preset", list_scenarios())
def test_simulate_preset_writes_every_file(preset: str, tmp_path: Path) -> None:
    out = tmp_path / preset
    p = _cli("simulate", preset, "--patients", "30", "--seed", "3", "--out", str(out))
    assert p.returncode == 0, p.stderr
    names = ({f"{t}.parquet" for t in TABLES} | {f"{f}.png" for f in FIGURES}
             | {"summary.json", "recist_options.toml"})
    assert {x.name for x in out.iterdir()} == names | {MARKER}
    for f in FIGURES:
        assert (out / f"{f}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["patients"] == 30 and summary["seed"] == 3
    pats = pd.read_parquet(out / "patients.parquet")
    assert len(pats) == 30
    tr = pd.read_parquet(out / "trajectories.parquet")
    sy = pd.read_parquet(out / "symptoms.parquet")
    # one symptom row per patient and output day on study (finite burden), none dropped otherwise
    on_study = tr[np.isfinite(tr["burden_mm"])]
    assert len(sy) == len(on_study)
    assert set(sy["subject_id"]) == set(range(30))
    assert sy["score"].between(0, 100).all()
    # the score is the clipped sum of its components (symptom_score's definition)
    parts = sy[["baseline", "tumour", "neutropenia", "chemotherapy", "radiotherapy"]].sum(axis=1)
    np.testing.assert_allclose(sy["score"], parts.clip(0, 100), atol=1e-9)
    # printed summary: 1-decimal figures, never "None"
    assert "None" not in p.stdout and "ORR " in p.stdout and "median PFS " in p.stdout
    orr = f"{100 * summary['orr']:.1f}%"
    assert f"ORR {orr}" in p.stdout


def test_format_summary_not_reached() -> None:
    from oncodyn.cli.simulate import format_summary

    s = {"orr": 0.147, "orr_ci": [0.0981, 0.2144], "dcr": 0.5, "dcr_ci": [0.42, 0.58],
         "median_pfs_months": None, "median_pfs_ci_months": [3.0412, None]}
    line = format_summary(s)
    assert "ORR 14.7% (95% CI 9.8% to 21.4%)" in line
    assert "median PFS not reached (95% CI 3.0 to not reached months)" in line
    s["median_pfs_months"] = 3.4449
    assert "median PFS 3.4 months" in format_summary(s)


# ---------------------------------------------------------------- bad input: one line, exit 2
def test_out_is_existing_file_fails_before_simulating(tmp_path: Path) -> None:
    f = tmp_path / "taken"
    f.write_text("keep me")
    # 50 million patients with keep="all" could not finish within the timeout (nor fit in
    # memory): returning at all shows the check ran before the simulation
    p = _cli("simulate", "nsclc_docetaxel", "--patients", "50000000", "--out", str(f), timeout=60)
    line = _one_line_error(p)
    assert "is a file" in line and str(f) in line
    assert f.read_text() == "keep me"


def test_nonempty_folder_needs_force_and_force_keeps_foreign_files(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("user file")
    p = _cli("simulate", "nsclc_docetaxel", "--patients", "50000000", "--out", str(out), timeout=60)
    assert "not empty" in _one_line_error(p)
    p = _cli("simulate", "nsclc_docetaxel", "--patients", "50000000", "--out", str(out), "--force",
             timeout=60)
    assert "not written by oncodyn" in _one_line_error(p)
    assert [x.name for x in out.iterdir()] == ["notes.txt"]


def test_force_replaces_an_earlier_output(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert _cli("simulate", "nsclc_docetaxel", "-n", "5", "--seed", "1", "--no-plots", "--out", str(out)).returncode == 0
    p = _cli("simulate", "nsclc_docetaxel", "-n", "7", "--seed", "1", "--no-plots", "--out", str(out), "--force")
    assert p.returncode == 0, p.stderr
    assert json.loads((out / "summary.json").read_text())["patients"] == 7
    assert not list(tmp_path.glob(".run.*"))  # no temp or old folder left beside it


@pytest.mark.parametrize(("opt", "value"), [("--seed", "-1"), ("--patients", "0")])
def test_bad_seed_or_patients(opt: str, value: str, tmp_path: Path) -> None:
    p = _cli("simulate", "nsclc_docetaxel", opt, value, "--out", str(tmp_path / "o"))
    assert opt in _one_line_error(p)
    assert not (tmp_path / "o").exists()


def test_scenario_toml_with_typo_key(tmp_path: Path) -> None:
    from oncodyn.scenarios import scenario_text

    text = scenario_text("nsclc_docetaxel").replace("[growth]", "[growht]", 1)
    assert "[growht]" in text
    toml = tmp_path / "typo.toml"
    toml.write_text(text)
    p = _cli("simulate", str(toml), "--out", str(tmp_path / "o"))
    line = _one_line_error(p)
    assert "growht" in line and "growth" in line  # names the key and the allowed ones
    assert not (tmp_path / "o").exists()


def test_scenarios_list_and_show() -> None:
    p = _cli("scenarios", "list")
    assert p.returncode == 0, p.stderr
    for name in list_scenarios():
        assert name in p.stdout
    p = _cli("scenarios", "show", "nsclc_docetaxel")
    assert p.returncode == 0, p.stderr
    assert 'name = "nsclc_docetaxel"' in p.stdout


# ---------------------------------------------------------------- write_output_folder
def test_write_output_folder_writes_every_kind(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    out = write_output_folder(tmp_path / "o", {
        "t.parquet": df, "t.csv": df, "s.json": {"k": [1, 2]}, "f.png": fig, "b.bin": b"\x00\x01",
        "x.txt": "héllo", "c.txt": lambda path: path.write_text("from callable"),
    })
    pd.testing.assert_frame_equal(pd.read_parquet(out / "t.parquet"), df)
    pd.testing.assert_frame_equal(pd.read_csv(out / "t.csv"), df)
    assert json.loads((out / "s.json").read_text()) == {"k": [1, 2]}
    assert (out / "f.png").read_bytes()[:4] == b"\x89PNG"
    assert (out / "b.bin").read_bytes() == b"\x00\x01"
    assert (out / "x.txt").read_text(encoding="utf-8") == "héllo"
    assert (out / "c.txt").read_text() == "from callable"
    assert json.loads((out / MARKER).read_text())["files"] == sorted(
        ["t.parquet", "t.csv", "s.json", "f.png", "b.bin", "x.txt", "c.txt"])


def _boom(path: Path) -> None:
    path.write_text("half")  # a partly written file, then the failure
    raise OSError("disk full (injected)")


def test_failing_writer_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "o"
    with pytest.raises(OSError, match="injected"):
        write_output_folder(target, {"a.txt": "first", "b.txt": _boom, "c.txt": "never"})
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary folder left either


def test_failing_overwrite_keeps_the_old_folder(tmp_path: Path) -> None:
    target = write_output_folder(tmp_path / "o", {"a.txt": "old", "b.txt": "old"})
    with pytest.raises(OSError, match="injected"):
        write_output_folder(target, {"a.txt": "new", "b.txt": _boom}, overwrite=True)
    assert (target / "a.txt").read_text() == "old" and (target / "b.txt").read_text() == "old"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["o"]
    write_output_folder(target, {"a.txt": "new"}, overwrite=True)
    assert sorted(x.name for x in target.iterdir()) == sorted(["a.txt", MARKER])
    assert (target / "a.txt").read_text() == "new"


def test_check_output_folder_rules(tmp_path: Path) -> None:
    assert check_output_folder(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    (tmp_path / "empty").mkdir()
    check_output_folder(tmp_path / "empty")
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError, match="is a file"):
        check_output_folder(tmp_path / "file")
    with pytest.raises(DataError, match="parent of the output folder is a file"):
        check_output_folder(tmp_path / "file" / "sub")
    full = tmp_path / "full"
    full.mkdir()
    (full / "y").write_text("y")
    with pytest.raises(DataError, match="not empty"):
        check_output_folder(full)
    with pytest.raises(DataError, match="not written by oncodyn"):
        check_output_folder(full, overwrite=True)
    with pytest.raises(ValueError, match="plain file name"):
        write_output_folder(tmp_path / "z", {"../escape.txt": "x"})
    assert not (tmp_path / "z").exists()


def test_burden_plot_shades_share_on_treatment() -> None:
    from oncodyn.plot.treatment import burden_plot

    days = np.arange(0, 70, 7.0)
    burden = np.vstack([np.linspace(50, 80, days.size), np.linspace(40, 20, days.size)])
    on = np.zeros_like(burden, dtype=bool)
    on[0, :4] = True
    on[1, :8] = True
    ax = burden_plot(days, burden, on_treatment=on, courses=[(0.0, 33.0, "EBRT 25 x 2 Gy")])
    bands = [a for a in ax.patches if a.get_gid() == "band:treatment"]
    # opacity = max_alpha 0.25 x share: both patients (1.0) for 4 days, then one of two (0.5)
    alphas = [round(b.get_alpha(), 6) for b in bands]
    assert alphas == [0.25] * 4 + [0.125] * 4
    assert any(a.get_gid() == "band:EBRT 25 x 2 Gy" for a in ax.patches)
    share = [ln for a in ax.figure.axes for ln in a.lines if ln.get_gid() == "share:on_treatment"][0]
    np.testing.assert_allclose(share.get_ydata(), [100] * 4 + [50] * 4 + [0] * 2)
    med = [ln for ln in ax.lines if ln.get_gid() == "median:cohort"][0]
    np.testing.assert_allclose(med.get_ydata(), np.median(burden, axis=0))
