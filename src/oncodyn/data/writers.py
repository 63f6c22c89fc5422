"""Write canonical tumour-size tables to CSV or Parquet, atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Literal

import pandas as pd

from ..errors import DataError
from ._raw import file_format
from ._schema import MAX_SIZE_MM, validate_tumour_sizes


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``, else delete it.

    The rename (:func:`os.replace`) is atomic on POSIX and Windows when both paths are on the
    same file system, so readers see the old file or the complete new one, never half of it.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise DataError("output folder does not exist", file=str(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def write_atomic(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write(fileobj)`` on a temporary file, then move it to ``path`` (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())


def write_tumour_sizes(df: pd.DataFrame, path: str | Path, *,
                       format: Literal["csv", "parquet"] | None = None,
                       max_size_mm: float = MAX_SIZE_MM) -> Path:
    """Validate a canonical tumour-size table and write it to CSV or Parquet, atomically.

    Parameters
    ----------
    df : pandas.DataFrame
        Canonical table (see :func:`oncodyn.data.validate_tumour_sizes`); covariates kept.
    path : str or Path
        Output file; format from the suffix (``.csv``, ``.parquet``) unless ``format`` is given.
        Written to a temporary file in the same folder, then renamed: on any error the previous
        file (if any) is untouched and no partial file is left.
    format : {"csv", "parquet"}, optional
        Overrides the suffix.
    max_size_mm : float, optional
        Largest accepted size (default 500 mm, the readers' default limit); a table with larger
        sizes reads back only with a ``CleaningPolicy(max_size_mm=...)`` at least as large.

    Returns
    -------
    Path
        The written file. Reading it back with :func:`oncodyn.data.read_tumour_sizes` gives the
        same table (CSV: numbers written with full round-trip precision; ids as text).

    Raises
    ------
    DataError
        Invalid table (names row and column) or unwritable destination.
    """
    path = Path(path)
    fmt = file_format(path, format)
    table = validate_tumour_sizes(df, file=str(path), max_size_mm=max_size_mm).reset_index(drop=True)
    try:
        if fmt == "csv":
            write_atomic(path, lambda fh: fh.write(table.to_csv(index=False).encode("utf-8")))
        else:
            write_atomic(path, lambda fh: table.to_parquet(fh, index=False))
    except OSError as exc:
        raise DataError(f"cannot write: {exc.strerror or exc}", file=str(path)) from None
    return path
