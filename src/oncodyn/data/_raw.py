"""Raw reading of CSV and Parquet files into text cells, with source row numbers.

CSV files are read with the standard :mod:`csv` module, every cell as text, so that codes such
as ``NOT EVALUABLE`` and 19-digit ids reach the cleaning step untouched, and so that each record
keeps its 1-based line number (header = line 1). Records whose number of fields differs from
the header are kept aside as malformed (reported, never silently lost).

Spreadsheet exports in locales whose decimal mark is a comma (e.g. a French Excel "CSV") are
separated by semicolons and write ``12,5`` for 12.5. The field separator is detected from the
header line (``;`` or a tab when the header has no comma) unless given, and with ``;`` the
decimal mark defaults to a comma: every cell that is a decimal-comma number is rewritten with a
point before cleaning, and the count is noted in :attr:`RawTable.notes`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError

CSV_SUFFIXES = (".csv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
_DECIMAL_COMMA = re.compile(r"^(\s*[+-]?\d*),(\d+(?:[eE][+-]?\d+)?\s*)$")


@dataclass(frozen=True, eq=False)
class RawTable:
    """Cells of a file before cleaning.

    ``data`` holds the well-formed records (text cells for CSV, typed columns for Parquet),
    ``source_rows`` their row numbers, ``malformed`` the (row, fields) of records with the wrong
    number of fields. ``n_blank_lines`` counts empty lines, which are not records.
    """

    file: str
    header: tuple[str, ...]
    data: pd.DataFrame
    source_rows: np.ndarray
    malformed: tuple[tuple[int, tuple[str, ...]], ...]
    n_blank_lines: int = 0
    notes: tuple[str, ...] = ()


def file_format(path: Path, format: str | None) -> str:
    """``"csv"`` or ``"parquet"``: ``format`` if given, else from the file suffix."""
    if format is not None:
        fmt = format.lower()
        if fmt not in ("csv", "parquet"):
            raise ConfigError(f"format must be 'csv' or 'parquet', got {format!r}")
        return fmt
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    raise DataError(f"cannot tell the format from the suffix {suffix!r}: use .csv or .parquet, "
                    "or pass format='csv'|'parquet'", file=str(path))


def _check_header(header: list[str], file: str) -> tuple[str, ...]:
    names = [h.strip() for h in header]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DataError("duplicate column name in header", file=file, row=1, column=name)
        seen.add(name)
    return tuple(names)


def sniff_separator(text: str) -> str:
    """Field separator from the header line: ``,`` if it has one, else ``;`` or tab if present."""
    first = text.split("\n", 1)[0]
    if "," in first:
        return ","
    for sep in (";", "\t"):
        if sep in first:
            return sep
    return ","


def _check_options(sep: str | None, decimal: str | None) -> None:
    if sep is not None and sep not in SEPARATORS:
        raise ConfigError(f"sep must be one of {sorted(SEPARATORS)} (comma, semicolon, tab), "
                          f"got {sep!r}")
    if decimal is not None and decimal not in (".", ","):
        raise ConfigError(f"decimal must be '.' or ',', got {decimal!r}")
    if sep == "," and decimal == ",":
        raise ConfigError("decimal ',' needs another field separator (sep=';' or a tab)")


def read_csv_raw(path: Path, *, sep: str | None = None, decimal: str | None = None) -> RawTable:
    """Read a CSV file as text cells (UTF-8, optional BOM).

    ``sep``: field separator (``","``, ``";"`` or tab); default detected from the header line.
    ``decimal``: decimal mark of numbers (``"."`` or ``","``); default ``","`` when the separator
    is ``";"`` (spreadsheet exports of comma-decimal locales), else ``"."``.
    """
    _check_options(sep, decimal)
    file = str(path)
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        raise DataError("file not found", file=file) from None
    except IsADirectoryError:
        raise DataError("is a directory, not a file", file=file) from None
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror or exc}", file=file) from None
    try:
        text = blob.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = blob[: exc.start].count(b"\n") + 1
        raise DataError(f"not UTF-8 text (byte {exc.start}); is it really a CSV file?",
                        file=file, row=line) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise DataError("contains NUL bytes; is it really a CSV file?", file=file, row=line)
    notes: list[str] = []
    if sep is None:
        sep = sniff_separator(text)
        if sep != ",":
            notes.append(f"fields separated by {SEPARATORS[sep]}s (detected from the header line)")
    if decimal is None:
        decimal = "," if sep == ";" else "."
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    records: list[list[str]] = []
    rows: list[int] = []
    malformed: list[tuple[int, tuple[str, ...]]] = []
    header: tuple[str, ...] | None = None
    blank = 0
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise DataError(f"CSV syntax error: {exc}", file=file, row=start) from None
        if not fields:
            blank += 1
            continue
        if header is None:
            header = _check_header(fields, file)
            continue
        if len(fields) != len(header):
            malformed.append((start, tuple(fields)))
        else:
            records.append(fields)
            rows.append(start)
    if header is None:
        raise DataError("file is empty (no header line)", file=file)
    if decimal == ",":
        n_conv = 0
        for rec in records:
            for j, cell in enumerate(rec):
                if "," in cell:
                    new, k = _DECIMAL_COMMA.subn(r"\1.\2", cell)
                    if k:
                        rec[j] = new
                        n_conv += 1
        if n_conv:
            notes.append(f"decimal commas: {n_conv} number cell(s) like '12,5' read as 12.5")
    data = pd.DataFrame(records, columns=list(header), dtype=object) if records else \
        pd.DataFrame({h: pd.Series([], dtype=object) for h in header})
    return RawTable(file, header, data, np.asarray(rows, dtype=np.int64), tuple(malformed), blank,
                    tuple(notes))


def read_parquet_raw(path: Path) -> RawTable:
    """Read a Parquet file; columns keep their types. Row numbers are record index + 2."""
    file = str(path)
    if not path.exists():
        raise DataError("file not found", file=file)
    try:
        data = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"cannot read as Parquet: {msg}", file=file) from None
    data = data.reset_index(drop=True)
    header = _check_header([str(c) for c in data.columns], file)
    data.columns = list(header)
    return RawTable(file, header, data, np.arange(2, len(data) + 2, dtype=np.int64), ())


def read_raw(path: str | Path, format: str | None = None, *, sep: str | None = None,
             decimal: str | None = None) -> RawTable:
    """Read ``path`` (CSV or Parquet, by suffix unless ``format`` is given) as a :class:`RawTable`.

    ``sep`` and ``decimal`` apply to CSV files (see :func:`read_csv_raw`).
    """
    path = Path(path)
    if path.is_dir():
        raise DataError("is a directory, not a file", file=str(path))
    fmt = file_format(path, format)
    if fmt == "csv":
        return read_csv_raw(path, sep=sep, decimal=decimal)
    _check_options(sep, decimal)
    return read_parquet_raw(path)


def read_header(path: str | Path, format: str | None = None) -> tuple[str, ...]:
    """Column names of a file (the first CSV line, or the Parquet schema)."""
    path = Path(path)
    if path.is_dir():
        raise DataError("is a directory, not a file", file=str(path))
    fmt = file_format(path, format)
    if fmt == "parquet":
        if not path.exists():
            raise DataError("file not found", file=str(path))
        try:
            import pyarrow.parquet as pq

            return tuple(str(n) for n in pq.read_schema(path).names if n != "__index_level_0__")
        except Exception as exc:
            raise DataError(f"cannot read as Parquet: {str(exc).splitlines()[0]}",
                            file=str(path)) from None
    return read_csv_raw(path).header
