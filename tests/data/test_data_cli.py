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


# ---- formats, detection, nothing-loaded, --out ------------------------------------------------

NESTED = "data/laleh2022/patient_data.csv"


def test_nested_tumorgrowth_file_is_detected_and_reads_as_the_flat_file(shared_file):
    from oncodyn.data import read_any

    nested = read_any(shared_file(NESTED))
    flat = read_any(shared_file(FLAT))
    assert nested.report.format == "tumorgrowth-nested"
    assert nested.report.rows_read == flat.report.rows_read == 7597
    assert nested.report.dropped_by_reason == flat.report.dropped_by_reason
    cols = ["study", "arm", "subject", "series", "time", "size", "t_weeks", "normvol"]
    assert nested.table[cols].equals(flat.table[cols])
    # every reading points back to its file line: the series of line L has the readings of L
    lines = nested.table.groupby("subject")["source_line"].nunique()
    assert (lines == 1).all() and nested.table["source_line"].nunique() == 1318


def test_inspect_nested_file_exit_0_with_its_format(monkeypatch, capsys, shared_file):
    code, out, err = cli(monkeypatch, capsys, "data", "inspect", shared_file(NESTED))
    assert code == 0, err
    assert "tumorgrowth-nested" in out and "7593" in out


def test_file_from_which_nothing_loads_is_an_error(monkeypatch, capsys, shared_file, tmp_path):
    code, _, err = cli(monkeypatch, capsys, "data", "inspect", shared_file(NESTED), "--format",
                       "tumorgrowth")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "no row loaded" in err and "1318 bad_time" in err and "tumorgrowth-nested" in err
    bad = tmp_path / "bad_times.csv"
    bad.write_text("subject,time,size\na,x,1\na,y,2\n")
    code, _, err = cli(monkeypatch, capsys, "data", "inspect", bad)
    assert code == 2 and "all 2 rows dropped (2 bad_time)" in err and "row 2" in err


def test_semicolon_file_with_decimal_commas_is_detected(monkeypatch, capsys, tmp_path):
    from oncodyn.data import read_any

    path = tmp_path / "export_fr.csv"
    path.write_text("subject;time;size;poids\nP1;0;12,5;70,2\nP1;42;10,25;69\nP2;-3;30;80,5\n",
                    encoding="utf-8")
    res = read_any(path)
    assert res.table["size"].tolist() == [12.5, 10.25, 30.0]
    assert res.table["poids"].tolist() == [70.2, 69.0, 80.5]
    assert any("semicolon" in n for n in res.report.notes)
    assert any("4 number cell(s)" in n for n in res.report.notes)
    # told to read it as comma-separated, the one-column header gets a message saying what to pass
    code, _, err = cli(monkeypatch, capsys, "data", "inspect", path, "--sep", ",")
    assert code == 2 and "--sep ';'" in err and "--decimal ','" in err


def test_unknown_columns_error_points_to_map(monkeypatch, capsys, tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("patient,day,ld_mm\na,0,10\n")
    code, _, err = cli(monkeypatch, capsys, "data", "inspect", path)
    assert code == 2 and "--map subject=COL,time=COL,size=COL" in err
    code, _, err = cli(monkeypatch, capsys, "data", "inspect", path, "--map",
                       "subject=patient,time=days,size=ld_mm")
    assert code == 2 and "column 'days'" in err and "--map time=COLUMN" in err
    code, out, err = cli(monkeypatch, capsys, "data", "inspect", path, "--map",
                         "subject=patient,time=day,size=ld_mm")
    assert code == 0, err


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_inspect_out_writes_the_cleaned_table(monkeypatch, capsys, shared_file, tmp_path, suffix):
    from oncodyn.data import read_any, read_tumour_sizes

    out = tmp_path / f"clean{suffix}"
    code, _, err = cli(monkeypatch, capsys, "data", "inspect", shared_file(S1), "--out", out)
    assert code == 0, err
    back = read_tumour_sizes(out)
    ref = read_any(shared_file(S1)).table
    assert back.report.rows_dropped == 0
    assert back.table[["study", "subject", "time", "size"]].equals(
        ref[["study", "subject", "time", "size"]])
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no temporary left


@pytest.mark.parametrize("target", ["clean.xlsx", "missing_dir/clean.csv", "."])
def test_inspect_bad_out_fails_before_reading(monkeypatch, capsys, tmp_path, target):
    out = tmp_path / target
    code, _, err = cli(monkeypatch, capsys, "data", "inspect", tmp_path / "not_read.csv",
                       "--out", out)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "not_read.csv" not in err  # the output is checked before the input is opened
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# ---- one set of TumorGrowth.jl names for every reader ----------------------------------------

def test_tumorgrowth_week_rule_reproduces_the_file(shared_file):
    import numpy as np
    import pandas as pd

    from oncodyn.data.datasets import tumorgrowth_normvol, tumorgrowth_weeks

    df = pd.read_csv(shared_file(FLAT))
    assert np.array_equal(tumorgrowth_weeks(df["T_days"].to_numpy()), df["T_weeks"].to_numpy())
    rel = np.abs(tumorgrowth_normvol(df["Lesion_diam"]) - df["Lesion_normvol"]) / \
        np.maximum(df["Lesion_normvol"], 1e-300)
    assert rel[df["Lesion_diam"] > 0].max() < 1e-12  # float rounding of 0.52 d^3 / 6163223.04


def test_bench_and_inspect_read_one_minimal_tumorgrowth_file(monkeypatch, capsys, shared_file,
                                                              tmp_path):
    import numpy as np
    import pandas as pd

    from oncodyn.bench._flat import read_flat_batch

    df = pd.read_csv(shared_file(FLAT), dtype={"Pt_hashID": str})
    minimal = tmp_path / "mine.csv"
    df[["Pt_hashID", "T_days", "Lesion_diam"]].to_csv(minimal, index=False)
    # data inspect reads it (time in days, size in mm) ...
    code, out, err = cli(monkeypatch, capsys, "data", "inspect", minimal)
    assert code == 0 and "tumorgrowth-flat" in out and "7593" in out, err
    # ... and so does the benchmark reader, deriving T_weeks / Lesion_normvol by TumorGrowth.jl's
    # rules: the same series as from the full file, values equal up to float rounding
    b_min, _ = read_flat_batch(minimal, min_readings=6)
    b_full, _ = read_flat_batch(shared_file(FLAT), min_readings=6)
    b_nest, _ = read_flat_batch(shared_file(NESTED), min_readings=6)
    assert b_min.ids == b_full.ids == b_nest.ids
    assert np.array_equal(b_min.t, b_full.t, equal_nan=True)
    assert np.array_equal(b_nest.y, b_full.y, equal_nan=True)
    np.testing.assert_allclose(b_min.y, b_full.y, rtol=1e-12)


def test_bench_reader_error_names_the_format_columns(tmp_path):
    from oncodyn.bench._flat import read_flat_batch

    p = tmp_path / "x.csv"
    p.write_text("Pt_hashID,T_days,size\na,0,1\n")
    with pytest.raises(DataError, match=r"Lesion_diam or Lesion_vol or Lesion_normvol"):
        read_flat_batch(p)


def test_bench_reader_table_is_the_file_as_given(shared_file):
    """The benchmarks score the file's own values: same columns, order, types and values as
    pandas reads them (so the shared reader leaves ``bench`` outputs unchanged)."""
    import pandas as pd

    from oncodyn.bench._flat import read_flat_table

    got = read_flat_table(shared_file(FLAT))
    ref = pd.read_csv(shared_file(FLAT), dtype={"Pt_hashID": str})
    assert list(got.columns) == list(ref.columns)
    for col in ref.columns:
        if ref[col].dtype.kind in "if":
            assert got[col].dtype == ref[col].dtype, col
            assert got[col].to_numpy().tolist() == ref[col].to_numpy().tolist(), col
        else:
            assert got[col].tolist() == ref[col].tolist(), col


def test_inspect_json_pointing_at_a_folder_fails_before_reading(monkeypatch, capsys, tmp_path):
    code, _, err = cli(monkeypatch, capsys, "data", "inspect", tmp_path / "unread.csv", "--json",
                       tmp_path)
    assert code == 2 and "is a folder" in err and len(err.strip().splitlines()) == 1
