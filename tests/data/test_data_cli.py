"""``oncodyn data inspect`` / ``oncodyn data fetch`` and :func:`fetch_laleh2022`."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile

import pytest

from oncodyn.cli.main import run
from oncodyn.data import fetch_laleh2022, read_laleh_s1
from oncodyn.data.fetch import KNOWN_SHA256, UnverifiedDataWarning
from oncodyn.errors import DataError

S1 = "data/laleh2022/laleh2022_s1_target_lesion_ld.csv"
FLAT = "data/laleh2022/flat_patient_data.csv"


def cli(monkeypatch, capsys, *args):
    """Run the console entry point in-process; return (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["oncodyn", *map(str, args)])
    with pytest.raises(SystemExit) as info:
        run()
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def test_inspect_s1_auto_and_json(monkeypatch, capsys, shared_file, tmp_path):
    path = shared_file(S1)
    out_json = tmp_path / "report.json"
    code, out, err = cli(monkeypatch, capsys, "data", "inspect", path, "--json", out_json)
    assert code == 0, err
    ref = read_laleh_s1(path).report
    assert "laleh-s1" in out and f"{ref.rows_read}" in out and f"{ref.n_series}" in out
    doc = json.loads(out_json.read_text())
    assert doc["format"] == "laleh-s1"
    assert doc["rows_read"] == ref.rows_read == doc["rows_loaded"] + doc["rows_dropped"]
    assert doc["dropped_by_reason"] == ref.dropped_by_reason
    assert doc["changed_by_reason"] == ref.changed_by_reason
    assert (doc["n_series"], doc["n_readings"]) == (ref.n_series, ref.n_readings)
    assert len(doc["dropped"]) == doc["rows_dropped"] and len(doc["changed"]) == len(ref.changed)
    assert doc["policy"]["too_small_mm"] == 5.0
    assert set(doc["reasons"]) == set(ref.dropped_by_reason) | set(ref.changed_by_reason)


def test_inspect_options_change_policy(monkeypatch, capsys, shared_file, tmp_path):
    out_json = tmp_path / "r.json"
    code, _, err = cli(monkeypatch, capsys, "data", "inspect", shared_file(S1), "--tstm", "drop",
                       "--ne", "missing", "--json", out_json)
    assert code == 0, err
    doc = json.loads(out_json.read_text())
    assert "too_small_dropped" in doc["dropped_by_reason"]
    assert "not_evaluable_missing" in doc["changed_by_reason"]


def test_inspect_tumorgrowth_auto(monkeypatch, capsys, shared_file):
    code, out, _ = cli(monkeypatch, capsys, "data", "inspect", shared_file(FLAT), "--format",
                       "tumorgrowth")
    assert code == 0 and "tumorgrowth-flat" in out and "7597" in out


@pytest.mark.parametrize(("args", "needle"), [
    (["data", "inspect", "/no/such/file.csv"], "file not found"),
    (["data", "inspect", "{bad}"], "unknown format"),
    (["data", "inspect", "{s1}", "--format", "tumorgrowth"], "not a TumorGrowth.jl"),
    (["data", "inspect", "{s1}", "--tstm", "small"], "--tstm"),
    (["data", "inspect", "{s1}", "--duplicates", "last"], "duplicates"),
    (["data", "fetch", "laleh2022", "--from", "/no/such.xlsx", "--dest", "{tmp}"], "file not found"),
])
def test_user_errors_one_line_exit_2(monkeypatch, capsys, shared_file, tmp_path, args, needle):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    subs = {"{bad}": str(bad), "{s1}": str(shared_file(S1)), "{tmp}": str(tmp_path / "d")}
    code, _, err = cli(monkeypatch, capsys, *[subs.get(a, a) for a in args])
    assert code == 2
    assert err.startswith("error: ") and needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_entry_point_subprocess(tmp_path):
    proc = subprocess.run([sys.executable, "-c", "from oncodyn.cli.main import run; run()",
                           "data", "inspect", str(tmp_path / "missing.csv")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"error: file {tmp_path / 'missing.csv'}: file not found"]


# ---- fetch ------------------------------------------------------------------------------------

def test_fetch_from_local_csv_verifies_known_checksum(shared_file, tmp_path):
    src = shared_file(S1)
    res = fetch_laleh2022(tmp_path / "d", source=src)
    assert res.verified and res.source_format == "csv" and not res.warnings
    assert res.sha256 == hashlib.sha256(src.read_bytes()).hexdigest() == KNOWN_SHA256["csv"]
    assert res.path.read_bytes() == src.read_bytes()
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == [res.path.name]


def test_fetch_download_file_url(shared_file, tmp_path):
    res = fetch_laleh2022(tmp_path / "d", url=shared_file(S1).as_uri())
    assert res.verified and res.path.exists()
    assert read_laleh_s1(res.path).report.rows_read == 7725


def test_fetch_checksum_mismatch_writes_nothing(shared_file, tmp_path):
    altered = tmp_path / "altered.csv"
    altered.write_bytes(shared_file(S1).read_bytes().replace(b",33,", b",34,", 1))
    dest = tmp_path / "d"
    with pytest.raises(DataError, match="SHA-256 mismatch"):
        fetch_laleh2022(dest, url=altered.as_uri())
    assert not dest.exists() or list(dest.iterdir()) == []
    # an explicitly pinned checksum is accepted
    pinned = hashlib.sha256(altered.read_bytes()).hexdigest()
    assert fetch_laleh2022(dest, source=altered, sha256=pinned).verified
    # verification switched off: kept, with a warning, not verified
    with pytest.warns(UnverifiedDataWarning, match="mismatch"):
        res = fetch_laleh2022(tmp_path / "e", source=altered, verify=False)
    assert not res.verified and res.path.exists()


def test_fetch_xlsx_without_openpyxl_is_unverified_and_clear(tmp_path, monkeypatch):
    fake = tmp_path / "s1.xlsx"
    with zipfile.ZipFile(fake, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl -> ImportError
    dest = tmp_path / "d"
    with pytest.warns(UnverifiedDataWarning, match="NOT verified"), \
            pytest.raises(DataError, match="openpyxl"):
        fetch_laleh2022(dest, source=fake)
    assert not (dest / "laleh2022_s1_target_lesion_ld.csv").exists()


def test_fetch_rejects_other_content(tmp_path):
    junk = tmp_path / "junk.csv"
    junk.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="neither the S1 xlsx nor its CSV form"):
        fetch_laleh2022(tmp_path / "d", source=junk)
    with pytest.raises(DataError, match="download failed"):
        fetch_laleh2022(tmp_path / "d", url=(tmp_path / "none.xlsx").as_uri())


def test_fetch_cli(monkeypatch, capsys, shared_file, tmp_path):
    code, out, err = cli(monkeypatch, capsys, "data", "fetch", "laleh2022", "--from",
                         shared_file(S1), "--dest", tmp_path / "d")
    assert code == 0, err
    assert f"sha256 {KNOWN_SHA256['csv']} (verified)" in out
    assert (tmp_path / "d" / "laleh2022_s1_target_lesion_ld.csv").exists()


def test_import_oncodyn_does_not_import_data():
    code = ("import sys, oncodyn; "
            "assert 'oncodyn.data' not in sys.modules, 'oncodyn.data imported by import oncodyn'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
