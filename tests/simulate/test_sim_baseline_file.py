"""The POPLAR baseline file does not ship with oncodyn: where it is looked for, what happens
without it, and how a user installs a copy (`oncodyn data fetch poplar --from PATH`)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

import oncodyn.patients.baseline as baseline
from oncodyn.data.fetch import POPLAR_SHA256, fetch_poplar
from oncodyn.errors import ConfigError, DataError
from oncodyn.simulate import simulate


@pytest.fixture()
def no_poplar(monkeypatch, tmp_path):
    """A computer without the POPLAR file anywhere oncodyn looks."""
    monkeypatch.setattr(baseline, "baseline_search_dirs", lambda: [tmp_path / "empty"])
    return tmp_path


def test_without_the_file_the_preset_runs_on_parametric_baselines_and_says_so(no_poplar):
    with pytest.warns(baseline.BaselineFallbackWarning, match="parametric"):
        res = simulate("nsclc_docetaxel", n_patients=50, seed=3, keep="summary")
    s = res.summary()
    assert res.baseline_source.startswith("parametric")
    assert s["baseline_source"] == "parametric (fallback)" and "fetch poplar" in s["baseline_note"]
    assert (res.baseline_row == -1).all()


def test_a_scenario_that_requires_the_file_fails_with_the_folders_searched(no_poplar):
    from oncodyn.scenarios import load_scenario

    sc = load_scenario("nsclc_docetaxel")
    sc = sc.model_copy(update={"baseline": sc.baseline.model_copy(update={"required": True})})
    with pytest.raises(ConfigError, match="fetch poplar --from PATH"):
        simulate(sc, n_patients=5, seed=1, keep="summary")


def test_with_the_file_every_patient_is_a_poplar_row(shared_file):
    shared_file("data/trials/POPLAR_Clinical_Data.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error", baseline.BaselineFallbackWarning)
        res = simulate("nsclc_docetaxel", n_patients=50, seed=3, keep="summary")
    assert res.baseline_source == "poplar" and (res.baseline_row >= 0).all()
    assert res.summary()["baseline_rows"] == 287


def test_fetch_poplar_verifies_the_copy_and_installs_it_where_the_simulator_looks(
        shared_file, tmp_path, monkeypatch):
    src = shared_file("data/trials/POPLAR_Clinical_Data.csv")
    res = fetch_poplar(src, tmp_path / "poplar")
    assert res.verified and res.sha256 == POPLAR_SHA256
    assert res.path.read_bytes() == src.read_bytes()
    monkeypatch.setenv("ONCODYN_DATA_DIR", str(tmp_path))  # searched first
    found = baseline.find_baseline_file("POPLAR_Clinical_Data.csv")
    assert found == tmp_path / "poplar" / "POPLAR_Clinical_Data.csv"
    bad = tmp_path / "edited.csv"
    bad.write_bytes(src.read_bytes().replace(b"PASS", b"FAIL", 1))
    with pytest.raises(DataError, match="SHA-256 mismatch"):
        fetch_poplar(bad, tmp_path / "other")
    assert not (tmp_path / "other").exists()


def test_fetch_poplar_cli_needs_a_local_copy(tmp_path):
    r = subprocess.run([sys.executable, "-m", "oncodyn.cli.main", "data", "fetch", "poplar",
                        "--dest", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "--from PATH" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
