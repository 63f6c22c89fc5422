"""Repopulation never makes a BED negative; the API and ``oncodyn radiation`` agree; a number
of fractions is a whole finite number."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from oncodyn.errors import ConfigError
from oncodyn.models.radiation import (
    LN2,
    Course,
    Fractionation,
    Repopulation,
    bed,
    eqd2,
    net_bed,
)


def test_repopulation_outweighing_the_dose_floors_bed_at_zero():
    # 30 x 2 Gy at a/b 10: 72 Gy; loss ln2 * 1000 / (0.3 * 1) = 2310 Gy >> 72 Gy
    assert float(bed(30, 2, 10, T=1000, Tk=0, Tpot=1, alpha=0.3)) == 0.0
    assert float(eqd2(30, 2, 10, T=1000, Tk=0, Tpot=1, alpha=0.3)) == 0.0
    c = Course((Fractionation(30, 2.0),), repopulation=Repopulation(Tk=0, Tpot=1, alpha=0.3))
    assert float(c.bed(10)) == 0.0
    # below the floor the formula is untouched: loss ln2 * (29 - 28) / (0.35 * 3)
    loss = LN2 * 1 / (0.35 * 3)
    assert math.isclose(float(bed(35, 2, 10, T=29, Tk=28, Tpot=3, alpha=0.35)), 84 - loss,
                        rel_tol=1e-12)
    assert float(net_bed(10.0, 10.0 + 1e-9)) == 0.0


def test_cli_and_api_report_the_same_floored_bed(tmp_path):
    out = tmp_path / "bed.json"
    r = subprocess.run([sys.executable, "-m", "oncodyn.cli.main", "radiation", "bed",
                        "--alpha-beta", "10", "-d", "2", "-n", "30", "--time", "1000", "--tk", "0",
                        "--tpot", "1", "--alpha", "0.3", "--json", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "BED total = 0.00 Gy" in r.stdout and "-" not in r.stdout.split("BED total =")[1][:8]
    assert json.loads(out.read_text())["bed_gy"] == float(
        bed(30, 2, 10, T=1000, Tk=0, Tpot=1, alpha=0.3)) == 0.0


@pytest.mark.parametrize("n", [2.5, -1, float("inf"), float("nan")])
def test_a_number_of_fractions_must_be_a_whole_finite_number(n):
    with pytest.raises(ConfigError, match="fractions"):
        bed(n, 2, 10)


@pytest.mark.parametrize("text", ["1e400x2", "2x1e400", "nanx2"])
def test_course_text_must_be_finite(text):
    with pytest.raises(ConfigError, match="finite"):
        Fractionation.parse(text)


def test_bed_that_overflows_is_refused():
    with pytest.raises(ConfigError, match="overflows"):
        bed(1e200, 1e200, 10)
