"""The canonical long table of tumour-size series, and its validation at the boundary.

One row per reading. Columns, in this order, then any covariate columns:

========== ======== =========================================================================
column     dtype    meaning
========== ======== =========================================================================
study      str      study id (optional: may be missing, NA)
arm        str      treatment arm within the study (optional: may be NA)
subject    str      subject (patient) id, never missing; kept as text (19-digit ids survive)
series     str      lesion or series id within the subject, never missing
time       float64  days relative to treatment start (finite; negative = before treatment)
size       float64  millimetres (longest diameter or sum of diameters); 0 <= size <=
                    ``max_size_mm`` (default :data:`MAX_SIZE_MM`, 500 mm), or NaN when a
                    policy keeps a not-evaluable reading as missing
========== ======== =========================================================================

A series is identified by the key ``(study, subject, series)`` (missing study counts as one
value). Within a series, times are unique, and the table is sorted by key then time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError

#: Canonical columns, in order.
TUMOUR_SIZE_COLUMNS: tuple[str, ...] = ("study", "arm", "subject", "series", "time", "size")
#: Columns that identify one series.
SERIES_KEY: tuple[str, ...] = ("study", "subject", "series")
OPTIONAL_COLUMNS: tuple[str, ...] = ("study", "arm")
ID_COLUMNS: tuple[str, ...] = ("study", "arm", "subject", "series")
STR_DTYPE = "str"
#: Largest plausible size in mm, the one limit shared by :func:`validate_tumour_sizes` and the
#: readers' :class:`~oncodyn.data.CleaningPolicy` (its ``max_size_mm`` default), so that a valid
#: table always reads back whole. 500 mm, ILLUSTRATIVE bound: a longest diameter of half a metre
#: exceeds any plausible human solid-tumour lesion; the largest diameter in the Laleh et al. 2022
#: data (8,560 readings) is 228 mm, so the bound leaves a factor > 2 while catching unit slips
#: (e.g. µm or 0.1 mm written as mm).
MAX_SIZE_MM = 500.0
#: Largest plausible |time| in days from the reference date: 100 years (36,525 days), longer
#: than any follow-up; a larger value (1e30, -1e20) is a sentinel or unit slip. The one limit
#: shared by :func:`validate_tumour_sizes`, the readers' cleaning (reason ``bad_time``) and the
#: lesion tables' ``day`` column (:mod:`oncodyn.data.lesions`).
MAX_ABS_DAYS = 36525.0


def _row_label(df: pd.DataFrame, pos: int) -> Any:
    """The index label of position ``pos`` (an int where possible, for the error message)."""
    label = df.index[pos]
    return int(label) if isinstance(label, (int, np.integer)) else label


def _error(df: pd.DataFrame, pos: int, column: str, message: str, file: str | None) -> DataError:
    label = _row_label(df, pos)
    row = label if isinstance(label, int) else None
    text = message if row is not None else f"{message} (index {label!r})"
    return DataError(text, file=file, row=row, column=column)


def series_codes(df: pd.DataFrame) -> np.ndarray:
    """Integer code of each row's series key, increasing in key order (missing study last)."""
    if len(df) == 0:
        return np.zeros(0, dtype=np.int64)
    keys = df[list(SERIES_KEY)].astype(object)
    return keys.groupby(list(SERIES_KEY), dropna=False, sort=True).ngroup().to_numpy(dtype=np.int64)


def sort_order(df: pd.DataFrame) -> np.ndarray:
    """Stable positions that sort ``df`` by series key then time (missing study sorts last)."""
    return np.lexsort((df["time"].to_numpy(dtype=float), series_codes(df)))


def validate_tumour_sizes(df: pd.DataFrame, *, file: str | None = None,
                          max_size_mm: float = MAX_SIZE_MM) -> pd.DataFrame:
    """Check a canonical tumour-size table and return it with canonical dtypes and column order.

    Checks: required columns ``subject``, ``series``, ``time``, ``size`` present (``study`` and
    ``arm`` are added as all-NA when absent); ids are non-missing text (numbers are converted to
    text); ``time`` is finite float (days); ``size`` is float, ``0 <= size <= max_size_mm`` or NaN; no two rows share
    ``(study, subject, series, time)``; rows are sorted by ``(study, subject, series, time)``.

    Parameters
    ----------
    df : pandas.DataFrame
        The table; covariate columns after the canonical ones are kept unchanged.
    file : str, optional
        Named in error messages.
    max_size_mm : float, optional
        Largest accepted size, default :data:`MAX_SIZE_MM` (500 mm): the same limit as the
        default ``CleaningPolicy.max_size_mm`` of the readers, so a table valid here reads back
        whole; the readers pass their policy's value.

    Returns
    -------
    pandas.DataFrame
        A new frame: canonical columns first (``str`` ids, ``float64`` time and size), then the
        covariates, same index.

    Raises
    ------
    DataError
        Naming the row (the index label of ``df``) and the column of the first problem.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}", file=file)
    if df.columns.has_duplicates:
        dup = df.columns[df.columns.duplicated()][0]
        raise DataError("duplicate column name", file=file, column=str(dup))
    missing = [c for c in TUMOUR_SIZE_COLUMNS if c not in df.columns and c not in OPTIONAL_COLUMNS]
    if missing:
        raise DataError(f"missing required column(s) {missing}; a tumour-size table needs "
                        f"{list(TUMOUR_SIZE_COLUMNS)} (study and arm optional)",
                        file=file, column=missing[0])
    out = pd.DataFrame(index=df.index)
    for col in ID_COLUMNS:
        if col not in df.columns:
            out[col] = pd.Series(np.nan, index=df.index, dtype=STR_DTYPE)
            continue
        src = df[col]
        na = src.isna().to_numpy()
        if col not in OPTIONAL_COLUMNS and na.any():
            raise _error(df, int(np.flatnonzero(na)[0]), col, "missing id", file)
        values = src.astype(object)
        bad = [i for i, v in enumerate(values) if not na[i] and not isinstance(v, (str, int, np.integer))]
        if bad:
            raise _error(df, bad[0], col, f"id must be text or an integer, got "
                         f"{type(values.iloc[bad[0]]).__name__} {values.iloc[bad[0]]!r}", file)
        text = src.astype(STR_DTYPE)
        empty = (text.str.strip() == "").fillna(False).to_numpy(dtype=bool)
        if col not in OPTIONAL_COLUMNS and empty.any():
            raise _error(df, int(np.flatnonzero(empty)[0]), col, "blank id", file)
        out[col] = text
    for col in ("time", "size"):
        src = df[col]
        if pd.api.types.is_bool_dtype(src):
            raise _error(df, 0, col, f"{col} must be numeric, got booleans", file)
        if not pd.api.types.is_numeric_dtype(src):
            conv = pd.to_numeric(src.astype(object), errors="coerce")
            bad = (conv.isna() & src.notna()).to_numpy(dtype=bool)
            if bad.any():
                pos = int(np.flatnonzero(bad)[0])
                raise _error(df, pos, col, f"{col} must be numeric, got {src.iloc[pos]!r}", file)
            src = conv
        values = src.to_numpy(dtype=float, na_value=np.nan)
        if col == "time":
            bad = ~(np.abs(values) <= MAX_ABS_DAYS)
            if bad.any():
                pos = int(np.flatnonzero(bad)[0])
                raise _error(df, pos, col, f"time must be finite and within +/-{MAX_ABS_DAYS:,.0f} "
                             f"days (100 years), got {values[pos]!r}", file)
        else:
            bad = np.isinf(values) | (values < 0)
            if bad.any():
                pos = int(np.flatnonzero(bad)[0])
                raise _error(df, pos, col, f"size must be >= 0 and finite (or NaN for missing), "
                             f"got {values[pos]!r}", file)
            big = values > max_size_mm
            if big.any():
                pos = int(np.flatnonzero(big)[0])
                raise _error(df, pos, col, f"size {values[pos]!r} mm exceeds max_size_mm = "
                             f"{max_size_mm:g} mm (implausible; a unit slip? pass max_size_mm, "
                             "and the same CleaningPolicy.max_size_mm when reading it back)", file)
        out[col] = values
    for col in df.columns:
        if col not in TUMOUR_SIZE_COLUMNS:
            out[col] = df[col]
    key = list(SERIES_KEY) + ["time"]
    dup = out.reset_index(drop=True).duplicated(key, keep="first").to_numpy()
    if dup.any():
        pos = int(np.flatnonzero(dup)[0])
        raise _error(df, pos, "time", "duplicate time point in series "
                     f"{tuple(out.iloc[pos][list(SERIES_KEY)].astype(object))}", file)
    codes, t = series_codes(out), out["time"].to_numpy()
    back = (codes[1:] < codes[:-1]) | ((codes[1:] == codes[:-1]) & (t[1:] < t[:-1]))
    if back.any():
        pos = int(np.flatnonzero(back)[0]) + 1
        raise _error(df, pos, "time", "table is not sorted by (study, subject, series, time); "
                     "sort it first", file)
    return out
