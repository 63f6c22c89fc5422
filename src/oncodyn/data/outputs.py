"""Write a folder of outputs (tables, JSON, figures) atomically: all files or none.

Every file is written into a temporary folder beside the target (same file system), then the
folder is moved into place with :func:`os.replace`. If any file fails, the temporary folder is
removed and the target is untouched: a reader sees the old folder (or none) or the complete new
one, never a half-written one.

Each folder written here carries a marker file :data:`MARKER` listing its files. ``overwrite``
replaces an existing non-empty folder only when it carries that marker (an earlier oncodyn
output), so ``--force`` can never wipe a folder of the user's own files.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import DataError

__all__ = ["MARKER", "check_output_folder", "write_output_folder"]

#: Marker file of a folder written by :func:`write_output_folder` (JSON list of its files).
MARKER = ".oncodyn-output.json"

Writer = Callable[[Path], None]


def check_output_folder(out_dir: str | Path, *, overwrite: bool = False) -> Path:
    """Check, before any work, that :func:`write_output_folder` may write ``out_dir``.

    Allowed: a path that does not exist (its parents are created), an empty folder, or, with
    ``overwrite``, a folder written earlier by :func:`write_output_folder` (it carries
    :data:`MARKER`).

    Raises
    ------
    DataError
        ``out_dir`` (or a parent) is an existing file; the folder is not empty and ``overwrite``
        is False; ``overwrite`` is True but the folder holds files oncodyn did not write.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise DataError("output path exists and is a file, not a folder", file=str(out))
    for parent in out.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise DataError("a parent of the output folder is a file", file=str(parent))
            if not os.access(parent, os.W_OK | os.X_OK) and not out.exists():
                raise DataError("cannot create the output folder here (no write permission)",
                                file=str(parent))
            break
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise DataError("output folder is not empty (use --force to replace it)", file=str(out))
        if not (out / MARKER).is_file():
            raise DataError(f"output folder is not empty and was not written by oncodyn (no {MARKER}); "
                            "refusing to replace it", file=str(out))
    return out


def _write_one(path: Path, value: Any) -> None:
    """Write one value: a callable(path), bytes, str, a DataFrame, a figure or JSON data."""
    suffix = path.suffix.lower()
    if callable(value) and not hasattr(value, "savefig"):
        value(path)
    elif isinstance(value, bytes | bytearray):
        path.write_bytes(bytes(value))
    elif isinstance(value, str):
        path.write_text(value, encoding="utf-8")
    elif hasattr(value, "savefig"):  # matplotlib Figure
        value.savefig(path, dpi=120, bbox_inches="tight")
    elif hasattr(value, "to_parquet") and suffix == ".parquet":
        value.to_parquet(path, index=False)
    elif hasattr(value, "to_csv") and suffix == ".csv":
        value.to_csv(path, index=False)
    elif suffix == ".json":
        path.write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")
    else:
        raise TypeError(f"cannot write {type(value).__name__} to {path.name!r}")
    if not path.is_file():
        raise DataError("writer did not create the file", file=path.name)
    with open(path, "rb") as fh:  # data on disk before the folder is renamed into place
        os.fsync(fh.fileno())


def write_output_folder(out_dir: str | Path, files: Mapping[str, Any], *,
                        overwrite: bool = False) -> Path:
    """Write ``files`` into ``out_dir`` atomically (every file or none).

    Parameters
    ----------
    out_dir
        Target folder; checked with :func:`check_output_folder` (call that first, before
        expensive work, for an early error).
    files
        File name (no folder part) -> value: a callable taking the destination ``Path``; bytes;
        str (UTF-8 text); a DataFrame (``.parquet`` or ``.csv`` by suffix); a matplotlib Figure
        (PNG etc. by suffix, 120 dpi); JSON-serialisable data (``.json``).
    overwrite
        Replace an existing non-empty folder written earlier by this function. The old folder
        is moved aside only after the new one is complete, and removed after the new one is
        in place (between the two renames the path briefly does not exist; a failed second
        rename moves the old folder back).

    Returns
    -------
    Path
        ``out_dir``.
    """
    out = check_output_folder(out_dir, overwrite=overwrite)
    for name in files:
        if not name or name in (".", "..", MARKER) or "/" in name or os.sep in name:
            raise ValueError(f"output file name must be a plain file name, got {name!r}")
    out.absolute().parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.absolute().parent))
    old: Path | None = None
    try:
        for name, value in files.items():
            _write_one(tmp / name, value)
        (tmp / MARKER).write_text(json.dumps({"files": sorted(files)}, indent=2) + "\n", encoding="utf-8")
        tmp.chmod(0o777 & ~_umask())
        if out.is_dir() and any(out.iterdir()):
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.absolute().parent))
            os.replace(out, old)  # replaces the empty placeholder folder
        try:
            os.replace(tmp, out)  # onto a missing or an empty folder: atomic rename
        except BaseException:
            if old is not None:
                os.replace(old, out)
                old = None
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return out


def _umask() -> int:
    """The process umask (mkdtemp makes 0700 folders; outputs get the usual permissions)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
