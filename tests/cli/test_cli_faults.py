"""Faults and bad input over the whole CLI: one line on stderr, exit 2, nothing left behind.

Each case builds its inputs in an empty folder, runs ``oncodyn`` (``oncodyn.cli.main.run``, the
console-script entry) there and checks: exit status 2, exactly one non-empty stderr line that
starts with ``error:``, no traceback, and the folder holds exactly the inputs afterwards (no
output folder, no temporary ``.X.*.tmp`` folder, no lock file).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

LESIONS_HEADER = "subject_id,tp,day,lesion_id,role,organ,nodal,ld_mm,sa_mm,state\n"


def _lesions(rows: str) -> str:
    return LESIONS_HEADER + rows


def _good_lesions() -> str:
    return _lesions("S1,0,0,T1,TARGET,LIVER,False,30,,\n"
                    "S1,1,42,T1,TARGET,LIVER,False,12,,\n"
                    "S1,2,84,T1,TARGET,LIVER,False,11,,\n")


def run_cli(capsys, monkeypatch, cwd: Path, *args: str) -> SimpleNamespace:
    """``oncodyn ARGS`` in this process, in ``cwd``; returns code, stdout, stderr."""
    from oncodyn.cli.main import run

    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "argv", ["oncodyn", *map(str, args)])
    with pytest.raises(SystemExit) as info:
        run()
    cap = capsys.readouterr()
    return SimpleNamespace(code=info.value.code, out=cap.out, err=cap.err)


def _listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# name -> (files to create {relative path: text | bytes | None for a folder}, CLI arguments,
#          a word the error line must contain)
CASES = {
    "scenario path is a folder": ({"scen": None}, ["simulate", "scen", "--out", "o"], "folder"),
    "binary scenario TOML": ({"s.toml": b"\x89PNG\r\n\x1a\n\x00\xff\xfe"},
                             ["simulate", "s.toml", "--out", "o"], "UTF-8"),
    "horizon of 100 million days": (
        {"h.toml": 'name = "h"\nhorizon_days = 100000000\n'},
        ["simulate", "h.toml", "--out", "o", "--no-plots"], "horizon_days"),
    "a billion patients": ({}, ["simulate", "nsclc_docetaxel", "--patients", "1000000000",
                                "--out", "o"], "GiB"),
    "unreachable scheduler": ({}, ["simulate", "nsclc_docetaxel", "--scheduler",
                                   "tcp://127.0.0.1:9", "--out", "o"], "cannot connect"),
    "malformed scheduler": ({}, ["simulate", "nsclc_docetaxel", "--scheduler", "nonsense::",
                                 "--out", "o"], "HOST:PORT"),
    "simulate --out is a file": ({"o": "mine"}, ["simulate", "nsclc_docetaxel", "--out", "o"],
                                 "file"),
    "simulate --out below a file": ({"f": "mine"},
                                    ["simulate", "nsclc_docetaxel", "--out", "f/o"], "file"),
    "simulate --out impossible (/proc)": (
        {}, ["simulate", "nsclc_docetaxel", "--patients", "5", "--out", "/proc/oncodyn-x/o"],
        "output"),
    "eqd2 course 1e400x2": ({}, ["radiation", "eqd2", "--alpha-beta", "10", "--course",
                                "1e400x2"], "finite"),
    "bed course overflowing": ({}, ["radiation", "bed", "--alpha-beta", "10", "--course",
                                    "1e200x1e200"], "overflow"),
    "bed --json is a folder": ({"d": None}, ["radiation", "bed", "--alpha-beta", "10",
                                             "--course", "5x5", "--json", "d"], "folder"),
    "data inspect --json is a folder": (
        {"x.csv": "a,b\n1,2\n", "d": None}, ["data", "inspect", "x.csv", "--json", "d"],
        "folder"),
    "bench simulate scenario is a folder": (
        {"d": None}, ["bench", "simulate", "--scenario", "d", "--json", "b.json"], "folder"),
    "recist sa_mm 1e308": (
        {"l.csv": _lesions("S1,0,0,N1,TARGET,LYMPH,True,,1e308,\n"
                           "S1,1,42,N1,TARGET,LYMPH,True,,12,\n")},
        ["recist", "l.csv", "--out", "o", "--no-plots"], "500 mm"),
    "recist ld_mm 1e6 (would read as a PR)": (
        {"l.csv": _lesions("S1,0,0,T1,TARGET,LIVER,False,1000000,,\n"
                           "S1,1,42,T1,TARGET,LIVER,False,100,,\n"
                           "S1,2,84,T1,TARGET,LIVER,False,100,,\n")},
        ["recist", "l.csv", "--out", "o", "--no-plots"], "row 1, column 'ld_mm'"),
    "recist day 1e30": (
        {"l.csv": _lesions("S1,0,0,T1,TARGET,LIVER,False,30,,\n"
                           "S1,1,1e30,T1,TARGET,LIVER,False,12,,\n")},
        ["recist", "l.csv", "--out", "o", "--no-plots"], "row 2, column 'day'"),
    "recist day -1e20": (
        {"l.csv": _lesions("S1,0,-1e20,T1,TARGET,LIVER,False,30,,\n"
                           "S1,1,42,T1,TARGET,LIVER,False,12,,\n")},
        ["recist", "l.csv", "--out", "o", "--no-plots"], "row 1, column 'day'"),
    "recist --force on a folder of the user's files": (
        {"l.csv": _good_lesions(), "o/rs.csv": "my own work\n"},
        ["recist", "l.csv", "--out", "o", "--force", "--no-plots"], "not written by oncodyn"),
    "simulate --force on a folder of the user's files": (
        {"o/mine.txt": "my own work\n"},
        ["simulate", "nsclc_docetaxel", "--patients", "5", "--out", "o", "--force"],
        "not written by oncodyn"),
    "recist into a non-empty folder without --force": (
        {"l.csv": _good_lesions(), "o/notes.txt": "mine\n"},
        ["recist", "l.csv", "--out", "o", "--no-plots"], "--force"),
}


def _make(folder: Path, files: dict) -> None:
    for rel, content in files.items():
        p = folder / rel
        if content is None:
            p.mkdir(parents=True)
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_exit_2_nothing_left(case, tmp_path, capsys, monkeypatch):
    files, args, word = CASES[case]
    _make(tmp_path, files)
    before = {rel: (tmp_path / rel).read_bytes() for rel in _listing(tmp_path)
              if (tmp_path / rel).is_file()}
    listing = _listing(tmp_path)
    t0 = time.perf_counter()
    r = run_cli(capsys, monkeypatch, tmp_path, *args)
    lines = [ln for ln in r.err.splitlines() if ln.strip()]
    assert r.code == 2, (r.code, r.err)
    assert len(lines) == 1 and lines[0].startswith("error:"), r.err
    assert "Traceback" not in r.err
    assert word in lines[0], lines[0]
    assert _listing(tmp_path) == listing  # no output, no temporary folder, no lock file
    assert {rel: (tmp_path / rel).read_bytes() for rel in before} == before  # inputs untouched
    assert time.perf_counter() - t0 < 60  # refused before the work, not after it


def test_second_run_to_the_same_out_is_refused_and_the_first_survives(tmp_path, capsys,
                                                                     monkeypatch):
    (tmp_path / "l.csv").write_text(_good_lesions())
    first = run_cli(capsys, monkeypatch, tmp_path, "recist", "l.csv", "--out", "o", "--no-plots")
    assert first.code == 0, first.err
    kept = {p.name: p.read_bytes() for p in (tmp_path / "o").iterdir()}
    second = run_cli(capsys, monkeypatch, tmp_path, "recist", "l.csv", "--out", "o",
                     "--no-plots")
    assert second.code == 2 and "not empty" in second.err
    assert {p.name: p.read_bytes() for p in (tmp_path / "o").iterdir()} == kept


def test_simulate_twice_to_one_out_refuses_the_second(tmp_path, capsys, monkeypatch):
    args = ("simulate", "nsclc_docetaxel", "--patients", "5", "--out", "o", "--no-plots")
    first = run_cli(capsys, monkeypatch, tmp_path, *args)
    assert first.code == 0, first.err
    kept = {p.name: p.read_bytes() for p in (tmp_path / "o").iterdir()}
    second = run_cli(capsys, monkeypatch, tmp_path, *args, "--seed", "7")
    assert second.code == 2 and "not empty" in second.err and "wrote" not in second.out
    assert {p.name: p.read_bytes() for p in (tmp_path / "o").iterdir()} == kept
    third = run_cli(capsys, monkeypatch, tmp_path, *args, "--seed", "7", "--force")
    assert third.code == 0, third.err  # --force replaces an earlier oncodyn output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_a_running_reservation_blocks_another_run(tmp_path, capsys, monkeypatch):
    """Two runs aimed at one --out: the second fails at once, naming the other run's pid."""
    from oncodyn.data.outputs import reserve_output_folder

    (tmp_path / "l.csv").write_text(_good_lesions())
    with reserve_output_folder(tmp_path / "o") as folder:  # "the other run", still working
        r = run_cli(capsys, monkeypatch, tmp_path, "recist", "l.csv", "--out", "o",
                    "--no-plots")
        assert r.code == 2 and "being written by another oncodyn run" in r.err
        assert f"pid {os.getpid()}" in r.err
        folder.write({"a.txt": "the other run's result"})
    assert (tmp_path / "o" / "a.txt").read_text() == "the other run's result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.csv", "o"]  # lock file removed


def test_force_replaces_an_oncodyn_folder_whole_no_stale_files(tmp_path, capsys, monkeypatch):
    (tmp_path / "l.csv").write_text(_good_lesions())
    r = run_cli(capsys, monkeypatch, tmp_path, "recist", "l.csv", "--out", "o")
    assert r.code == 0, r.err
    assert (tmp_path / "o" / "swimmer.png").is_file()
    r = run_cli(capsys, monkeypatch, tmp_path, "recist", "l.csv", "--out", "o", "--force",
                "--no-plots")
    assert r.code == 0, r.err
    assert not list((tmp_path / "o").glob("*.png"))  # the older run's figures are gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.csv", "o"]


def test_debris_of_a_killed_run_is_removed_by_the_next(tmp_path, capsys, monkeypatch):
    (tmp_path / "l.csv").write_text(_good_lesions())
    stale = tmp_path / ".o.k3yz_9ab.tmp"  # what mkdtemp left when SIGKILL hit a writer
    stale.mkdir()
    (stale / "timepoints.csv").write_text("half a file")
    (tmp_path / ".o.lock").write_text("99999\n")  # its lock file (the OS lock died with it)
    r = run_cli(capsys, monkeypatch, tmp_path, "recist", "l.csv", "--out", "o", "--no-plots")
    assert r.code == 0, r.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.csv", "o"]


def test_ctrl_c_says_interrupted_exits_130_and_leaves_nothing(tmp_path):
    """SIGINT in the middle of a simulation: 'interrupted' on stderr, status 130, no output."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "oncodyn.cli.main", "simulate", "nsclc_docetaxel",
         "--patients", "50000", "--out", "o"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        # as at a terminal: a test runner started in the background by a shell inherits SIGINT
        # ignored, and Python then never raises KeyboardInterrupt in the child
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not (tmp_path / ".o.lock").exists():  # the run has reserved --out: work started
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (out, err)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines == ["error: interrupted"], err
    assert list(tmp_path.iterdir()) == []


def test_sigterm_ends_like_ctrl_c(tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "oncodyn.cli.main", "simulate", "nsclc_docetaxel",
         "--patients", "50000", "--out", "o"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while not (tmp_path / ".o.lock").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(1.0)
    proc.terminate()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "interrupted" in err, (out, err)
    assert list(tmp_path.iterdir()) == []


def test_absurd_treatment_days_are_dropped_with_their_reason(tmp_path, capsys, monkeypatch):
    """Treatment_Day 1e30 or -1e20 is not a time: each row is dropped and reported."""
    rows = ("sheet,Patient_Anonmyized,Treatment_Day,TargetLesionLongDiam_mm,Study_Arm\n"
            "Study1,11,-2,33,Study_1_Arm_1\nStudy1,11,37,30,Study_1_Arm_1\n"
            "Study1,12,1e30,33,Study_1_Arm_1\nStudy1,12,-1e20,30,Study_1_Arm_1\n"
            "Study1,12,10,30,Study_1_Arm_1\n")
    (tmp_path / "td.csv").write_text(rows)
    r = run_cli(capsys, monkeypatch, tmp_path, "data", "inspect", "td.csv", "--json", "r.json")
    assert r.code == 0, r.err
    import json

    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["rows_read"] == 5 and rep["rows_loaded"] == 3
    assert rep["dropped_by_reason"] == {"bad_time": 2}
    assert sorted(d["raw:Treatment_Day"] for d in rep["dropped"]) == ["-1e20", "1e30"]
