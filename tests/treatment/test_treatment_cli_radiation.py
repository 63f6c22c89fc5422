"""``oncodyn radiation bed|eqd2`` end to end (the real entry point, in a subprocess)."""

from __future__ import annotations

import json
import math
import subprocess
import sys


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oncodyn.cli.main", "radiation", *args],
                          capture_output=True, text=True, timeout=120)


def test_eqd2_of_ebrt_plus_hdr_with_json(tmp_path):
    out = tmp_path / "eqd2.json"
    r = _run("eqd2", "--alpha-beta", "10", "--course", "25x1.8", "--course", "4x7",
             "--json", str(out))
    assert r.returncode == 0, r.stderr
    assert "EQD2 total = 83.92 Gy" in r.stdout
    assert "BED = n d (1 + d/(a/b))" in r.stdout  # the formula is printed
    data = json.loads(out.read_text())
    assert math.isclose(data["eqd2_gy"], 44.25 + 119 / 3, rel_tol=1e-12)
    assert [c["fractions"] for c in data["courses"]] == [25, 4]
    assert data["quantity"] == "eqd2"


def test_bed_single_course_and_repopulation():
    r = _run("bed", "--dose-per-fraction", "5", "--fractions", "5", "--alpha-beta", "10")
    assert r.returncode == 0, r.stderr
    assert "BED total = 37.50 Gy" in r.stdout
    r = _run("bed", "-d", "2", "-n", "35", "--alpha-beta", "10", "--time", "46", "--tk", "28",
             "--tpot", "3", "--alpha", "0.35")
    assert r.returncode == 0, r.stderr
    want = 84.0 - math.log(2) * 18 / (0.35 * 3)
    assert f"BED total = {want:.2f} Gy" in r.stdout


def test_user_errors_are_one_line_exit_2(tmp_path):
    cases = [
        ("eqd2", "--alpha-beta", "10", "--course", "25y2"),
        ("bed", "--alpha-beta", "10", "-d", "2"),
        ("bed", "--alpha-beta", "0", "--course", "5x5"),
        ("bed", "--alpha-beta", "10", "--course", "5x5", "--time", "40"),
        ("eqd2", "--alpha-beta", "10", "--course", "5x5", "--json",
         str(tmp_path / "missing" / "x.json")),
    ]
    for args in cases:
        r = _run(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), (args, r.stderr)
        assert "Traceback" not in r.stderr
    assert not (tmp_path / "missing").exists()  # nothing half-written
