"""User errors on the command line: one line on stderr, exit status 2, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oncodyn.cli.main", *args], capture_output=True,
                          text=True, cwd=cwd)


@pytest.mark.parametrize("args", [
    ("nonexistent-command",),
    ("simulate", "nsclc_docetaxel", "--patients", "abc"),
    ("radiation", "eqd2", "--json"),
    ("bench", "recist", "--patients", "0", "--json", "x.json"),
    ("data", "inspect"),
])
def test_usage_errors_are_one_line(args, tmp_path):
    r = _run(*args, cwd=tmp_path)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("error:")


def _write(path, text):
    path.write_text(text)
    return path


def test_recist_header_only_and_pre_baseline_follow_up(tmp_path):
    header = "subject_id,tp,day,lesion_id,role,organ,nodal,ld_mm,sa_mm,state\n"
    r = _run("recist", str(_write(tmp_path / "h.csv", header)), "--out", str(tmp_path / "o1"))
    assert r.returncode == 2 and "no rows" in r.stderr
    rows = header + ("S1,0,0,T1,TARGET,LIVER,False,30,,\n"
                     "S1,1,-5,T1,TARGET,LIVER,False,40,,\n")
    r = _run("recist", str(_write(tmp_path / "n.csv", rows)), "--out", str(tmp_path / "o2"),
             "--no-plots")
    assert r.returncode == 2
    assert "row 2, column 'day'" in r.stderr and "not after its baseline" in r.stderr
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o2").exists()


def test_recist_scans_of_one_time_point_on_different_days(tmp_path):
    """R10.1: a time point's scans may fall on different days; the time point takes the latest."""
    rows = ("subject_id,tp,day,lesion_id,role,organ,nodal,ld_mm,sa_mm,state\n"
            "S1,0,0,T1,TARGET,LIVER,False,30,,\n"
            "S1,0,0,T2,TARGET,LUNG,False,20,,\n"
            "S1,1,50,T1,TARGET,LIVER,False,15,,\n"
            "S1,1,42,T2,TARGET,LUNG,False,10,,\n")
    r = _run("recist", str(_write(tmp_path / "d.csv", rows)), "--out", str(tmp_path / "o"),
             "--no-plots")
    assert r.returncode == 0, r.stderr
    import pandas as pd

    tp = pd.read_csv(tmp_path / "o" / "timepoints.csv")
    # sum 25 mm vs baseline 50 mm: -50% -> PR, assessed at the later of the two scan days
    assert tp.loc[0, "target"] == "PR" and tp.loc[0, "day"] == 50


def test_data_inspect_maps_columns(tmp_path):
    f = _write(tmp_path / "m.csv", "USUBJID,ADY,AVAL\nP1,0,30\nP1,42,25\nP1,84,x\nP2,0,12\n")
    out = tmp_path / "r.json"
    r = _run("data", "inspect", str(f), "--map", "subject=USUBJID,time=ADY,size=AVAL",
             "--json", str(out))
    assert r.returncode == 0, r.stderr
    import json

    rep = json.loads(out.read_text())
    assert rep["rows_read"] == 4 and rep["rows_loaded"] == 3  # 'x' dropped with its reason
    r = _run("data", "inspect", str(f), "--map", "subject=USUBJID,tim=ADY,size=AVAL")
    assert r.returncode == 2 and "tim" in r.stderr
