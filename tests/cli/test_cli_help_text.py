"""Help and listing texts: flags read as flags, references are never cut."""

from __future__ import annotations

import os
import subprocess
import sys

import typer

from oncodyn.cli.main import app


def _command_paths() -> list[list[str]]:
    paths: list[list[str]] = []

    def walk(cmd, path):
        paths.append(path)
        for name, sub in sorted((getattr(cmd, "commands", None) or {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


def _run(args: list[str], columns: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run([sys.executable, "-c", "from oncodyn.cli.main import run; run()", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_help_of_every_command_shows_flags_without_a_value_type():
    from typer.testing import CliRunner

    runner = CliRunner()
    seen_flags = 0
    for path in _command_paths():
        res = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "160"})
        assert res.exit_code == 0, (path, res.output)
        assert "<bool>" not in res.output, " ".join(path)
        assert "--help" in res.output
        seen_flags += res.output.count("--no-plots")
    assert seen_flags >= 1  # a --plots/--no-plots flag pair is shown, without a type


def test_options_that_take_values_still_show_their_type():
    from typer.testing import CliRunner

    res = CliRunner().invoke(app, ["simulate", "--help"], env={"COLUMNS": "160"})
    assert "<int range>" in res.output and "<path>" in res.output


def test_models_listing_prints_each_reference_in_full():
    from oncodyn.models import get_model, list_models

    res = _run(["models"], 1000)  # wide enough that nothing needs folding
    assert res.returncode == 0, res.stderr
    refs = [get_model(n).reference for n in list_models()]
    assert max(map(len, refs)) > 70  # the case that used to be cut
    for ref in refs:
        assert ref in res.stdout, ref[:80]


def test_summary_explains_a_median_pfs_whose_ci_collapses_on_one_scan():
    from oncodyn.cli.simulate import format_summary

    base = {"orr": 0.1, "orr_ci": [0.05, 0.2], "dcr": 0.5, "dcr_ci": [0.4, 0.6]}
    one_scan = format_summary(base | {"median_pfs_months": 11.0,
                                      "median_pfs_ci_months": [11.0, 11.0]})
    assert "(95% CI 11.0 to 11.0 months)" in one_scan
    assert "only seen at scans" in one_scan
    spread = format_summary(base | {"median_pfs_months": 3.5, "median_pfs_ci_months": [2.8, 4.2]})
    assert "only seen at scans" not in spread
