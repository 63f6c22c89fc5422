"""Output folders (tables, JSON, figures) written atomically and exclusively: all files or none.

Rules, the same for every command that writes a folder (``simulate``, ``recist``, ...):

* **Reserve before the work.** :func:`reserve_output_folder` checks the target, creates its
  parents and takes an exclusive lock (``.NAME.lock`` beside the folder, an OS file lock that
  dies with the process) *before* any long computation, so a bad ``--out`` fails at once and a
  second run aimed at the same folder fails at once ("being written by another oncodyn run")
  instead of silently replacing the first run's result.
* **All files or none.** Every file is written into a temporary folder ``.NAME.XXXXXXXX.tmp``
  beside the target (same file system), then the folder is renamed into place. If any file
  fails, the temporary folder is removed and the target is untouched.
* **Never replace what was not asked for.** Without ``overwrite`` (``--force``) the final rename
  refuses an existing non-empty folder, even one that appeared while the run was working. With
  ``overwrite`` the target is replaced only when it carries the marker :data:`MARKER` (an
  earlier oncodyn output), so ``--force`` can never wipe a folder of the user's own files; the
  whole folder is replaced, so no stale file of an older run survives.
* **No debris after a kill.** A run killed with SIGKILL leaves its ``.NAME.*.tmp`` folder
  behind; the next run reserving ``NAME`` removes it (and restores ``.NAME.*.old``, the previous
  output moved aside, if the kill fell between the two renames of a replacement).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import DataError

__all__ = ["MARKER", "OutputFolder", "check_output_folder", "reserve_output_folder",
           "write_output_folder"]

#: Marker file of a folder written by :func:`write_output_folder` (JSON list of its files).
MARKER = ".oncodyn-output.json"

Writer = Callable[[Path], None]


def check_output_folder(out_dir: str | Path, *, overwrite: bool = False) -> Path:
    """Check that :func:`write_output_folder` may write ``out_dir`` (no side effect).

    Allowed: a path that does not exist, an empty folder, or, with ``overwrite``, a folder
    written earlier by :func:`write_output_folder` (it carries :data:`MARKER`).

    Raises
    ------
    DataError
        ``out_dir`` (or a parent) is an existing file; the folder is not empty and ``overwrite``
        is False; ``overwrite`` is True but the folder holds files oncodyn did not write; no
        write permission where the folder must be created.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise DataError("output path exists and is a file, not a folder", file=str(out))
    for parent in out.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise DataError("a parent of the output folder is a file", file=str(parent))
            if not os.access(parent, os.W_OK | os.X_OK):
                raise DataError("cannot write the output folder here (no write permission)",
                                file=str(parent))
            break
    if out.is_dir():
        try:
            non_empty = any(out.iterdir())
        except OSError as exc:
            raise DataError(f"cannot read the output folder: {exc.strerror or exc}",
                            file=str(out)) from None
        if non_empty:
            if not overwrite:
                raise DataError("output folder is not empty (use --force to replace an earlier "
                                "oncodyn output)", file=str(out))
            if not (out / MARKER).is_file():
                raise DataError(f"output folder is not empty and was not written by oncodyn (no "
                                f"{MARKER}); refusing to replace it", file=str(out))
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


def _debris_pattern(name: str) -> re.Pattern[str]:
    """Names made by :func:`tempfile.mkdtemp` with prefix ``.NAME.`` and suffix .tmp/.old."""
    return re.compile(rf"^\.{re.escape(name)}\.[A-Za-z0-9_]{{8}}\.(tmp|old)$")


class OutputFolder:
    """An output folder reserved by :func:`reserve_output_folder` (lock held, checks done).

    Use as a context manager, or call :meth:`write` (which releases) or :meth:`release`.

    Attributes
    ----------
    path : Path
        The target folder.
    overwrite : bool
        Whether an earlier oncodyn output there may be replaced.
    cleaned : list of str
        Debris of killed runs removed (or restored) while reserving.
    """

    def __init__(self, out_dir: str | Path, *, overwrite: bool = False) -> None:
        self.path = Path(out_dir)
        self.overwrite = overwrite
        self.cleaned: list[str] = []
        self._fd: int | None = None
        self._lock: Path | None = None
        self._made: list[Path] = []
        self._written = False
        check_output_folder(self.path, overwrite=overwrite)
        parent = self.path.absolute().parent
        self._make_parents(parent)
        try:
            self._acquire(parent / f".{self.path.name}.lock")
            self._clean_debris(parent)
            check_output_folder(self.path, overwrite=overwrite)  # a restored .old may count
        except BaseException:
            self.release()
            raise

    # -- reservation ----------------------------------------------------------------------
    def _make_parents(self, parent: Path) -> None:
        missing = []
        p = parent
        while not p.exists():
            missing.append(p)
            p = p.parent
        for d in reversed(missing):
            try:
                d.mkdir()
            except FileExistsError:
                continue
            except OSError as exc:
                self._remove_made()
                raise DataError(f"cannot create the output folder's parent: "
                                f"{exc.strerror or exc}", file=str(d)) from None
            self._made.append(d)

    def _acquire(self, lock: Path) -> None:
        while True:
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise DataError(f"cannot write the output folder here: {exc.strerror or exc}",
                                file=str(self.path)) from None
            if not _try_lock(fd):
                holder = _read_pid(fd)
                os.close(fd)
                who = f" (pid {holder})" if holder else ""
                raise DataError(f"output folder is being written by another oncodyn run{who}; "
                                "wait for it to finish or choose another --out",
                                file=str(self.path))
            try:  # the holder before us may have unlinked the file we opened: start again
                same = os.fstat(fd).st_ino == os.stat(lock).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd, self._lock = fd, lock

    def _clean_debris(self, parent: Path) -> None:
        pattern = _debris_pattern(self.path.name)
        for entry in sorted(parent.iterdir()):
            m = pattern.match(entry.name)
            if m is None or not entry.is_dir() or entry.is_symlink():
                continue
            if m.group(1) == "old" and not self.path.exists() and (entry / MARKER).is_file():
                os.replace(entry, self.path)  # killed between the two renames: restore
                self.cleaned.append(f"restored {entry.name} (previous output) to {self.path.name}")
                continue
            shutil.rmtree(entry, ignore_errors=True)
            self.cleaned.append(f"removed {entry.name} (left by an interrupted run)")

    def _remove_made(self) -> None:
        for d in reversed(self._made):
            with contextlib.suppress(OSError):
                d.rmdir()  # only if still empty
        self._made = []

    def release(self) -> None:
        """Drop the lock (and parents created for a folder that was never written)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                if self._lock is not None:
                    self._lock.unlink()
            os.close(self._fd)
            self._fd = None
        if not self._written:
            self._remove_made()

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # -- commit ---------------------------------------------------------------------------
    def write(self, files: Mapping[str, Any]) -> Path:
        """Write ``files`` into the folder atomically, then release the reservation.

        Parameters
        ----------
        files
            File name (no folder part) -> value: a callable taking the destination ``Path``;
            bytes; str (UTF-8 text); a DataFrame (``.parquet`` or ``.csv`` by suffix); a
            matplotlib Figure (PNG etc. by suffix, 120 dpi); JSON-serialisable data (``.json``).

        Returns
        -------
        Path
            The folder.

        Raises
        ------
        DataError
            The reservation was released, or the target changed meanwhile so that replacing it
            would break the rules above (a non-empty folder appeared without ``overwrite``).
        OSError
            A writer failed (the target is untouched, no temporary file is left).
        """
        if self._fd is None:
            raise DataError("output folder reservation was released", file=str(self.path))
        try:
            return self._commit(files)
        finally:
            self.release()

    def _commit(self, files: Mapping[str, Any]) -> Path:
        out = self.path
        for name in files:
            if not name or name in (".", "..", MARKER) or "/" in name or os.sep in name:
                raise ValueError(f"output file name must be a plain file name, got {name!r}")
        check_output_folder(out, overwrite=self.overwrite)
        parent = out.absolute().parent
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
        old: Path | None = None
        try:
            for name, value in files.items():
                _write_one(tmp / name, value)
            (tmp / MARKER).write_text(json.dumps({"files": sorted(files)}, indent=2) + "\n",
                                      encoding="utf-8")
            tmp.chmod(0o777 & ~_umask())
            if self.overwrite and out.is_dir() and any(out.iterdir()):
                old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=parent))
                os.replace(out, old)  # onto the empty placeholder folder
            try:
                # rename(2) replaces a missing or an EMPTY folder only: a non-empty folder that
                # appeared meanwhile makes it fail instead of being lost
                os.rename(tmp, out)
            except OSError as exc:
                if old is not None:
                    os.replace(old, out)
                    old = None
                if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                    raise DataError("output folder was filled by someone else while this run "
                                    "worked; refusing to replace it", file=str(out)) from None
                raise
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._written = True
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return out


def reserve_output_folder(out_dir: str | Path, *, overwrite: bool = False) -> OutputFolder:
    """Check and lock ``out_dir`` for writing, before expensive work (see the module rules).

    Parameters
    ----------
    out_dir
        Target folder (created by :meth:`OutputFolder.write`; missing parents are created now
        and removed again if nothing is written).
    overwrite
        Allow replacing an earlier oncodyn output (``--force``).

    Returns
    -------
    OutputFolder
        Call :meth:`OutputFolder.write` with the files, or :meth:`OutputFolder.release`; best
        used as ``with reserve_output_folder(out) as folder: ... folder.write(files)``.

    Raises
    ------
    DataError
        The target fails :func:`check_output_folder`, cannot be created, or is reserved by
        another running process.
    """
    return OutputFolder(out_dir, overwrite=overwrite)


def write_output_folder(out_dir: str | Path, files: Mapping[str, Any], *,
                        overwrite: bool = False) -> Path:
    """Reserve ``out_dir`` and write ``files`` into it atomically (every file or none).

    See :meth:`OutputFolder.write` for the accepted values. For long work, reserve first with
    :func:`reserve_output_folder` so that a bad target fails before the work.

    Returns
    -------
    Path
        ``out_dir``.
    """
    with reserve_output_folder(out_dir, overwrite=overwrite) as folder:
        return folder.write(files)


def _try_lock(fd: int) -> bool:
    """Exclusive, non-blocking OS lock on ``fd`` (released by the OS when the process dies)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _read_pid(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 32).decode("ascii").strip()
        if text.isdigit():
            return text
    return ""


def _umask() -> int:
    """The process umask (mkdtemp makes 0700 folders; outputs get the usual permissions)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
