"""The tutorials' code runs as written (on a small generated file, no shared data)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _blocks(page: str, lang: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def _sizes_csv(path: Path) -> None:
    """Two lesions per patient, six scans, growth or shrinkage, 1 mm noise (seeded)."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(10):
        for lesion in ("T01", "T02"):
            d0, g = rng.uniform(15, 50), rng.uniform(-0.004, 0.006)
            for t in (-7, 41, 83, 125, 167, 209):
                rows.append((f"P{i:03d}", lesion, t, round(d0 * np.exp(g * t) + rng.normal(0, 1), 1)))
    pd.DataFrame(rows, columns=["USUBJID", "LESION", "ADY", "AVAL"]).to_csv(path, index=False)


def test_fit_your_data_tutorial_runs_as_written(tmp_path, monkeypatch):
    _sizes_csv(tmp_path / "sizes.csv")
    monkeypatch.chdir(tmp_path)
    commands = [line for block in _blocks("tutorials/fit-your-data.md", "bash")
                for line in block.splitlines() if line.startswith("oncodyn ")]
    assert commands
    for line in commands:
        args = shlex.split(line.split("#")[0])
        res = subprocess.run([sys.executable, "-c", "from oncodyn.cli.main import run; run()",
                              *args[1:]], capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, (line, res.stderr)
        assert "rows loaded" in res.stdout
    ns: dict = {}
    for code in _blocks("tutorials/fit-your-data.md", "python"):
        exec(compile(code, "fit-your-data.md", "exec"), ns)  # noqa: S102
    table = ns["table"]
    assert len(table) == 20  # every series fitted, none dropped
    assert {"status", "message"} <= set(table.columns)  # what the tutorial tells the reader to check
    assert ns["fc"] is not None
