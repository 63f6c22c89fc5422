"""``oncodyn recist`` end to end: canonical and SDTM inputs, options TOML, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from oncodyn.cli.recist import load_options_toml, run_recist
from oncodyn.errors import ConfigError, DataError

EXPECTED = {"timepoints.csv", "timepoints.parquet", "best_response.csv",
            "best_response.parquet", "pfs.csv", "pfs.parquet", "rs.csv", "adrs.csv",
            "adtte.csv", "baseline.csv", "messages.csv", "spider.png", "waterfall.png",
            "swimmer.png", "run.json", ".oncodyn-output.json"}  # + the marker of oncodyn outputs


def _cli(*args):
    """The installed entry point in a fresh process (what a user runs)."""
    return subprocess.run([sys.executable, "-m", "oncodyn.cli.main", "recist", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def _cli_inproc(capsys, monkeypatch, *args):
    """The same entry point (``oncodyn.cli.main.run``) in this process: faster."""
    from types import SimpleNamespace

    from oncodyn.cli.main import run

    monkeypatch.setattr(sys, "argv", ["oncodyn", "recist", *map(str, args)])
    with pytest.raises(SystemExit) as info:
        run()
    cap = capsys.readouterr()
    return SimpleNamespace(returncode=info.value.code, stdout=cap.out, stderr=cap.err)


@pytest.fixture()
def sdtm_dir(sdtm, tmp_path):
    tu, tr, dm = sdtm
    d = tmp_path / "sdtm"
    d.mkdir()
    tu.to_csv(d / "tu.csv", index=False)
    tr.to_csv(d / "tr.csv", index=False)
    dm.to_csv(d / "dm.csv", index=False)
    return d


@pytest.fixture()
def canonical_dir(sdtm, tmp_path):
    from oncodyn.data.cdisc import from_sdtm
    from oncodyn.data.lesions import write_table

    tu, tr, dm = sdtm
    t = from_sdtm(tu, tr, dm=dm)
    d = tmp_path / "canon"
    write_table(t.lesions, d / "lesions.csv")
    write_table(t.subjects, d / "subjects.parquet")
    return d


def test_cli_sdtm_end_to_end(sdtm_dir, tmp_path):
    out = tmp_path / "out"
    proc = _cli(sdtm_dir, "--out", out, "--studyid", "XX")
    assert proc.returncode == 0, proc.stderr
    assert str(out.name) in proc.stdout and "Best overall response" in proc.stdout
    assert {p.name for p in out.iterdir()} == EXPECTED
    best = pd.read_csv(out / "best_response.csv").set_index("subject_id")["bor"].to_dict()
    assert best == {"01-001": "PR", "01-002": "PD", "01-003": "NON-CR/NON-PD", "01-004": "SD"}
    adrs = pd.read_csv(out / "adrs.csv", keep_default_na=False)
    assert set(adrs["PARAMCD"]) == {"OVR", "BOR", "CBOR", "RSP", "CRSP", "PD"}
    run = json.loads((out / "run.json").read_text())
    assert run["format"] == "sdtm" and any("SUMDIAM" in n for n in run["notes"])
    # no leftover temporary folder beside the output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "sdtm"]


def test_cli_canonical_folder_with_options(canonical_dir, tmp_path):
    opts = tmp_path / "o.toml"
    opts.write_text("confirmation_required = true\nmin_sd_days = 56\n"
                    "[missed_visit_censoring]\nenabled = true\nmax_missed = 1\n")
    info = run_recist(canonical_dir, tmp_path / "out", options_path=opts, plots=False)
    assert info["format"] == "canonical"
    bor = info["result"].best_response.set_index("subject_id")["bor"]
    # SD only at day 42 misses a 56-day minimum (R8.4): 01-004 -> NE; 01-003 keeps
    # NON-CR/NON-PD through its day-84 assessment
    assert bor["01-004"] == "NE" and bor["01-003"] == "NON-CR/NON-PD"
    assert bor["01-001"] == "PR"
    assert not (tmp_path / "out" / "spider.png").exists()


def test_cli_single_parquet_file(sdtm, tmp_path):
    from oncodyn.data.cdisc import from_sdtm
    from oncodyn.data.lesions import write_table

    tu, tr, dm = sdtm
    les = from_sdtm(tu, tr, dm=dm).lesions.assign(reader="R1")
    path = write_table(les, tmp_path / "les.parquet")
    info = run_recist(path, tmp_path / "out", fmt="canonical", plots=False)
    # no subjects table: the baseline scan date is the reference (engine warning), and the
    # extra column is reported, not silently lost
    assert any("reader" in n for n in info["notes"])
    assert len(info["result"].best_response) == 4
    assert (tmp_path / "out" / "timepoints.parquet").exists()


def test_options_toml_errors(tmp_path):
    p = tmp_path / "o.toml"
    p.write_text("[recist]\nmin_sd_dayz = 42\n")
    with pytest.raises(ConfigError) as info:
        load_options_toml(p)
    msg = str(info.value)
    assert "min_sd_dayz" in msg and "min_sd_days" in msg and str(p) in msg
    p.write_text("min_sd_days = [\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_options_toml(p)
    p.write_text('pr_continuation = "sometimes"\n')
    with pytest.raises(ConfigError, match="pr_continuation"):
        load_options_toml(p)


def test_cli_bad_input_one_line_exit_2(canonical_dir, tmp_path, capsys, monkeypatch):
    les = pd.read_csv(canonical_dir / "lesions.csv", dtype=str, keep_default_na=False)
    les.loc[6, "ld_mm"] = "-4"
    les.to_csv(canonical_dir / "lesions.csv", index=False)
    out = tmp_path / "out"
    proc = _cli_inproc(capsys, monkeypatch, canonical_dir, "--out", out)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "lesions.csv" in lines[0] and "row 7" in lines[0] and "'ld_mm'" in lines[0]
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["canon"]


def test_cli_engine_error_gets_file(canonical_dir, tmp_path):
    # a nodal target without a short axis passes the table checks but not the engine's (R1.2)
    les = pd.read_csv(canonical_dir / "lesions.csv", dtype=str, keep_default_na=False)
    row = les.index[(les.lesion_id == "T03") & (les.tp == "1")][0]
    les.loc[row, "sa_mm"] = ""
    les.to_csv(canonical_dir / "lesions.csv", index=False)
    with pytest.raises(DataError) as info:
        run_recist(canonical_dir, tmp_path / "out", plots=False)
    assert info.value.file.endswith("lesions.csv") and info.value.row == row + 1
    assert info.value.column == "sa_mm"
    assert not (tmp_path / "out").exists()


def test_cli_other_user_errors(sdtm_dir, tmp_path, capsys, monkeypatch):
    def _cli(*args):
        return _cli_inproc(capsys, monkeypatch, *args)

    proc = _cli(tmp_path / "nope.csv", "--out", tmp_path / "o")
    assert proc.returncode == 2 and "not found" in proc.stderr
    proc = _cli(sdtm_dir, "--out", tmp_path / "o", "--format", "xml")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("x")
    proc = _cli(sdtm_dir, "--out", busy)
    assert proc.returncode == 2 and "not empty" in proc.stderr
    assert [p.name for p in busy.iterdir()] == ["keep.txt"]
    proc = _cli(sdtm_dir, "--out", tmp_path / "o2", "--options", tmp_path / "none.toml")
    assert proc.returncode == 2 and "options file not found" in proc.stderr


def test_cli_engine_error_sdtm_names_lesion(sdtm, tmp_path):
    tu, tr, dm = sdtm
    tr = tr.copy()
    # node T03 measured by LDIAM instead of its short axis at week 6: the engine refuses it
    i = tr.index[(tr.USUBJID == "01-001") & (tr.TRLNKID == "T03") & (tr.VISITNUM == 2)][0]
    tr.loc[i, "TRTESTCD"] = "LDIAM"
    d = tmp_path / "sdtm"
    d.mkdir()
    tu.to_csv(d / "tu.csv", index=False)
    tr.to_csv(d / "tr.csv", index=False)
    with pytest.raises(DataError) as info:
        run_recist(d, tmp_path / "out", plots=False)
    msg = str(info.value)
    assert info.value.file.endswith("tr.csv") and info.value.column == "sa_mm"
    assert "subject_id 01-001" in msg and "lesion_id T03" in msg and "tp 1" in msg
    assert not (tmp_path / "out").exists()


def test_cli_help(capsys, monkeypatch):
    proc = _cli_inproc(capsys, monkeypatch, "--help")
    assert proc.returncode == 0 and "--options" in proc.stdout and "sdtm" in proc.stdout
