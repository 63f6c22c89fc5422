"""Output folders: exclusive (lock), atomic (rename that refuses to replace), no debris."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from oncodyn.data.outputs import MARKER, reserve_output_folder, write_output_folder
from oncodyn.errors import DataError


def test_a_folder_filled_while_the_run_worked_is_not_replaced(tmp_path):
    """Without --force the final rename refuses a non-empty folder that appeared meanwhile."""
    out = tmp_path / "o"
    folder = reserve_output_folder(out)
    out.mkdir()
    (out / "theirs.txt").write_text("someone else's result")
    with pytest.raises(DataError, match="not empty"):
        folder.write({"a.txt": "mine"})
    assert (out / "theirs.txt").read_text() == "someone else's result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]  # no temp folder, no lock


def test_reservation_is_exclusive_across_processes(tmp_path):
    out = tmp_path / "o"
    code = ("import sys; from oncodyn.data.outputs import reserve_output_folder as r\n"
            "try:\n    r(sys.argv[1])\nexcept Exception as e:\n    print(e); sys.exit(3)\n")
    with reserve_output_folder(out):
        p = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True,
                           text=True)
        assert p.returncode == 3 and f"pid {os.getpid()}" in p.stdout
    p = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr  # free again once released


def test_kill_between_the_two_renames_restores_the_previous_output(tmp_path):
    """A replacement moves the old folder to .NAME.XXXXXXXX.old before renaming the new one in;
    if the process dies between the two, the next reservation puts the old folder back."""
    out = write_output_folder(tmp_path / "o", {"a.txt": "previous"})
    old = tmp_path / ".o.ab12cd34.old"
    os.replace(out, old)  # the state a SIGKILL between the renames leaves
    half = tmp_path / ".o.zz99yy88.tmp"
    half.mkdir()
    (half / "a.txt").write_text("half of the new one")
    with reserve_output_folder(tmp_path / "o", overwrite=True) as folder:
        assert any("restored" in c for c in folder.cleaned)
        assert any("removed .o.zz99yy88.tmp" in c for c in folder.cleaned)
        assert (tmp_path / "o" / "a.txt").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_write_after_release_is_refused_and_parents_made_are_removed(tmp_path):
    folder = reserve_output_folder(tmp_path / "new" / "deeper" / "o")
    assert (tmp_path / "new" / "deeper").is_dir()
    folder.release()
    assert list(tmp_path.iterdir()) == []  # parents created for nothing are gone
    with pytest.raises(DataError, match="released"):
        folder.write({"a.txt": "x"})


def test_marker_lists_the_files(tmp_path):
    out = write_output_folder(tmp_path / "o", {"b.txt": "1", "a.json": {"k": 1}})
    assert json.loads((out / MARKER).read_text()) == {"files": ["a.json", "b.txt"]}
