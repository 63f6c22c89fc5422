"""Reading TumorGrowth.jl tables for the benchmarks, exactly as given (no cleaning policy: the
protocol scores the file's own values).

The file is read by the same raw reader (:func:`oncodyn.data._raw.read_raw`: CSV or Parquet,
separator and decimal-comma detection) and with the same column names
(:func:`oncodyn.data.datasets.tumorgrowth_columns`) as ``oncodyn data inspect``, ``oncodyn fit``
and ``oncodyn forecast``, so one file serves them all; the nested ``patient_data.csv`` is read
too. The protocol's time and value are TumorGrowth.jl's ``T_weeks`` and ``Lesion_normvol``:
taken from the file when present, else derived from ``T_days`` and the diameter (or volume) by
TumorGrowth.jl's own rules (:func:`~oncodyn.data.datasets.tumorgrowth_weeks`,
:func:`~oncodyn.data.datasets.tumorgrowth_normvol`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..data._clean import cell_text, parse_numbers
from ..data._nested import explode_nested, looks_nested
from ..data._raw import RawTable, read_raw
from ..data.datasets import (
    TG_ID,
    TG_NORMVOL_DIVISOR,
    TG_VECTOR_COLUMNS,
    TG_VOLUME_FACTOR,
    tumorgrowth_columns,
    tumorgrowth_normvol,
    tumorgrowth_weeks,
)
from ..errors import DataError
from ..inference import SeriesBatch

#: The protocol's series id, time and value columns (TumorGrowth.jl model battle).
REQUIRED = (TG_ID, "T_weeks", "Lesion_normvol")


def _numbers(raw: RawTable, column: str) -> np.ndarray:
    """Finite numbers of a column, or a DataError naming the first bad row (and the count)."""
    text = cell_text(raw.data[column])
    values, ok = parse_numbers(text)
    bad = np.flatnonzero(~ok | ~np.isfinite(values))
    if bad.size:
        cell = text[bad[0]]
        shown = "a blank cell" if cell.strip() == "" else f"value {cell!r}"
        raise DataError(f"{shown} is not a finite number ({bad.size} such rows)", file=raw.file,
                        row=int(raw.source_rows[bad[0]]), column=column)
    return values


def _protocol_columns(raw: RawTable) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``T_weeks`` and ``Lesion_normvol`` as given, or derived; and how each was obtained."""
    cols = tumorgrowth_columns(raw.header, file=raw.file)
    how = []
    if "T_weeks" in raw.header:
        weeks = _numbers(raw, "T_weeks")
    else:
        weeks = tumorgrowth_weeks(_numbers(raw, cols["time"]))
        how.append("T_weeks = ceil(T_days/7), <= 0 -> 0.1 (TumorGrowth.jl rule)")
    if "Lesion_normvol" in raw.header:
        value = _numbers(raw, "Lesion_normvol")
    elif cols["size"] == "Lesion_vol":
        value = _numbers(raw, "Lesion_vol") / TG_NORMVOL_DIVISOR
        how.append(f"Lesion_normvol = Lesion_vol / {TG_NORMVOL_DIVISOR}")
    else:
        value = tumorgrowth_normvol(_numbers(raw, "Lesion_diam"))
        how.append(f"Lesion_normvol = {TG_VOLUME_FACTOR} Lesion_diam^3 / {TG_NORMVOL_DIVISOR}")
    return weeks, value, how


def _typed(raw: RawTable, column: str) -> pd.Series:
    """A column as numbers when every non-blank cell is one (as ``pandas.read_csv`` types it),
    else as text."""
    text = cell_text(raw.data[column])
    values, ok = parse_numbers(text)
    blank = np.array([t.strip() == "" for t in text], dtype=bool)
    if (ok | blank).all() and ok.any():
        whole = ok.all() and np.all(np.isfinite(values)) and np.all(values == np.round(values))
        return pd.Series(values.astype(np.int64) if whole else values)
    return pd.Series(np.where(blank, None, text), dtype=object)


def read_flat_table(path: str | Path) -> pd.DataFrame:
    """The file's table in file order, values as given: every column of the file (numbers where
    a column holds only numbers), with the protocol's ``T_weeks`` and ``Lesion_normvol``
    (derived when absent, see the module docstring).

    Raises DataError naming the file, row and column for a missing column, an empty id or a
    non-numeric value. Repeated time points are kept (counted by :func:`describe_flat`).
    """
    raw = read_raw(path)
    if looks_nested(raw, TG_VECTOR_COLUMNS):
        raw, _ = explode_nested(raw, TG_VECTOR_COLUMNS)
    weeks, value, how = _protocol_columns(raw)
    ids = cell_text(raw.data[TG_ID])
    empty = np.flatnonzero(np.array([i.strip() == "" for i in ids], dtype=bool))
    if empty.size:
        raise DataError("empty series id", file=raw.file, row=int(raw.source_rows[empty[0]]),
                        column=TG_ID)
    given = {TG_ID: pd.Series(ids, dtype=object), "T_weeks": pd.Series(weeks),
             "Lesion_normvol": pd.Series(value)}
    cols = {c: given[c] if c in given else _typed(raw, c) for c in raw.header}
    df = pd.DataFrame({**cols, **{c: v for c, v in given.items() if c not in cols}})
    df.attrs["derived"] = how
    return df


def read_flat_batch(path: str | Path, *, min_readings: int = 0) -> tuple[SeriesBatch, pd.DataFrame]:
    """Series of ``Lesion_normvol`` against ``T_weeks`` keyed by ``Pt_hashID``.

    Rows are used as given (the protocol scores the file's own values): repeated time points are
    kept, and counted by :func:`describe_flat`. Returns the batch (records with at least
    ``min_readings`` rows) and the table read (:func:`read_flat_table`).
    """
    df = read_flat_table(path)
    counts = df.groupby(TG_ID, sort=False)["T_weeks"].transform("size")
    keep = df[counts >= min_readings]
    if keep.empty:
        raise DataError(f"no series with at least {min_readings} readings", file=str(path))
    batch = SeriesBatch.from_frame(keep, time="T_weeks", value="Lesion_normvol", by=(TG_ID,))
    return batch, df


def describe_flat(df: pd.DataFrame, min_readings: int) -> dict[str, int]:
    """Counts of what the benchmark uses and leaves out of a flat table (nothing goes unreported)."""
    size = df.groupby(TG_ID, sort=False).size()
    dup = int(df.duplicated([TG_ID, "T_weeks"]).sum())
    return {"rows": len(df), "series": int(size.size),
            "series_with_min_readings": int((size >= min_readings).sum()),
            "excluded_short_series": int((size < min_readings).sum()),
            "repeated_time_rows": dup}
