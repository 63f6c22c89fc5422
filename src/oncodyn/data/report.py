"""What a reader did to a file: :class:`LoadReport` and the :class:`LoadResult` it comes with.

Source rows are numbered as a user sees them in a text editor or spreadsheet: **1-based line
numbers of the file, the header being line 1**, so the first data record is row 2. A CSV record
spanning several lines (a quoted newline) is numbered by its first line. Parquet files have no
lines: record ``i`` (0-based) is numbered ``i + 2``, the same as it would be in a CSV export.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._policy import REASONS, CleaningPolicy

CHANGED_COLUMNS: tuple[str, ...] = ("source_row", "column", "old", "new", "reason")
DROPPED_COLUMNS: tuple[str, ...] = ("source_row", "reason", "detail")
#: Prefix of the raw-value columns of ``LoadReport.dropped`` (``raw:<source column>``).
RAW_PREFIX = "raw:"


def _json_value(value: Any) -> Any:
    """Plain JSON value (NaN/NA -> None, numpy scalars -> Python)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _json_value(v) for k, v in row.items()}
            for row in df.astype(object).to_dict(orient="records")]


@dataclass(frozen=True, eq=False)
class LoadReport:
    """Account of one read: what came in, what was loaded, what was changed or dropped, and why.

    Invariant (checked on construction): ``rows_read == rows_loaded + len(dropped)``, and every
    changed or dropped row carries a reason code of :data:`oncodyn.data._policy.REASONS`.

    Attributes
    ----------
    file : str
        The file read.
    format : str
        ``"generic"``, ``"laleh-s1"`` or ``"tumorgrowth-flat"``.
    rows_read : int
        Data records in the file (header excluded).
    rows_loaded : int
        Rows of the resulting table.
    changed : pandas.DataFrame
        One row per changed value: ``source_row`` (see module docstring), ``column`` (the source
        column, as named in the file), ``old`` (raw text), ``new`` (value loaded), ``reason``
        (code).
    dropped : pandas.DataFrame
        One row per dropped record: ``source_row``, ``reason``, ``detail``, then the record's raw
        values in columns ``raw:<source column>`` (for a malformed record, whose fields do not
        line up with the header, the fields are in ``detail`` and the raw columns are empty).
    n_series : int
        Distinct ``(study, subject, series)`` keys loaded.
    n_readings : int
        Loaded rows with a non-missing size.
    n_series_reordered : int
        Series whose rows were not in time order in the file and were sorted.
    policy : CleaningPolicy
        The policy applied.
    notes : tuple of str
        File-level facts (unit conversions applied to every row, constant columns added).
    """

    file: str
    format: str
    rows_read: int
    rows_loaded: int
    changed: pd.DataFrame
    dropped: pd.DataFrame
    n_series: int
    n_readings: int
    n_series_reordered: int
    policy: CleaningPolicy
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        # explicit raise, not `assert`, so the invariant also holds under python -O
        if self.rows_read != self.rows_loaded + len(self.dropped):
            raise AssertionError(f"row accounting broken for {self.file}: read {self.rows_read} != "
                                 f"loaded {self.rows_loaded} + dropped {len(self.dropped)}")
        for name, frame in (("changed", self.changed), ("dropped", self.dropped)):
            if frame["reason"].isna().any() or not set(frame["reason"]) <= set(REASONS):
                raise AssertionError(f"{name} rows without a known reason in {self.file}")
        if self.dropped["source_row"].duplicated().any():
            raise AssertionError(f"a source row of {self.file} is dropped twice")

    @property
    def rows_dropped(self) -> int:
        """Number of dropped records."""
        return len(self.dropped)

    @property
    def dropped_by_reason(self) -> dict[str, int]:
        """Dropped records per reason code (sorted by code)."""
        return dict(sorted(Counter(self.dropped["reason"]).items()))

    @property
    def changed_by_reason(self) -> dict[str, int]:
        """Changed values per reason code (sorted by code)."""
        return dict(sorted(Counter(self.changed["reason"]).items()))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: counts, policy, notes and the full changed/dropped lists."""
        return {
            "file": self.file,
            "format": self.format,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_dropped": self.rows_dropped,
            "rows_changed": int(self.changed["source_row"].nunique()),
            "dropped_by_reason": self.dropped_by_reason,
            "changed_by_reason": self.changed_by_reason,
            "n_series": self.n_series,
            "n_readings": self.n_readings,
            "n_series_reordered": self.n_series_reordered,
            "source_rows": "1-based file line numbers, header = line 1 (Parquet: record index + 2)",
            "reasons": {code: REASONS[code] for code in
                        sorted(set(self.dropped_by_reason) | set(self.changed_by_reason))},
            "policy": self.policy.to_dict(),
            "notes": list(self.notes),
            "changed": _records(self.changed),
            "dropped": _records(self.dropped),
        }

    def _lines(self) -> list[tuple[str, str]]:
        rows = [("file", self.file), ("format", self.format),
                ("rows read", str(self.rows_read)), ("rows loaded", str(self.rows_loaded)),
                ("rows dropped", str(self.rows_dropped)),
                ("values changed", str(len(self.changed)))]
        rows += [(f"  dropped: {k}", str(v)) for k, v in self.dropped_by_reason.items()]
        rows += [(f"  changed: {k}", str(v)) for k, v in self.changed_by_reason.items()]
        rows += [("series", str(self.n_series)), ("readings (non-missing size)", str(self.n_readings)),
                 ("series re-sorted by time", str(self.n_series_reordered))]
        rows += [("note", n) for n in self.notes]
        return rows

    def summary(self) -> str:
        """Plain-text summary, one fact per line."""
        width = max(len(k) for k, _ in self._lines())
        return "\n".join(f"{k.ljust(width)}  {v}" for k, v in self._lines())

    def rich_table(self) -> Any:
        """The summary as a :class:`rich.table.Table` (rich imported here)."""
        from rich.table import Table

        table = Table(title=f"{self.file} ({self.format})", show_header=True)
        table.add_column("item", no_wrap=True)
        table.add_column("value", justify="right", overflow="fold")
        table.add_column("reason", overflow="fold", ratio=1)
        for k, v in self._lines()[2:]:
            code = k.split(": ", 1)[1] if ": " in k else ""
            table.add_row(k, v, REASONS.get(code, ""))
        return table

    def __str__(self) -> str:
        return self.summary()


@dataclass(frozen=True, eq=False)
class LoadResult:
    """A cleaned canonical tumour-size table and the report of how it was obtained.

    Attributes
    ----------
    table : pandas.DataFrame
        Canonical long table (see :func:`oncodyn.data.validate_tumour_sizes`), RangeIndex.
    report : LoadReport
        What was read, changed and dropped.
    source_rows : numpy.ndarray
        For each row of ``table``, the source row it came from (see module docstring). Together
        with ``report.dropped["source_row"]`` it covers every record of the file exactly once.
    """

    table: pd.DataFrame
    report: LoadReport
    source_rows: np.ndarray

    def __post_init__(self) -> None:
        if len(self.source_rows) != len(self.table) or len(self.table) != self.report.rows_loaded:
            raise AssertionError("LoadResult: table, source_rows and report disagree")
        both = set(self.source_rows.tolist()) & set(self.report.dropped["source_row"].tolist())
        if both:
            raise AssertionError(f"source rows both loaded and dropped: {sorted(both)[:5]}")
