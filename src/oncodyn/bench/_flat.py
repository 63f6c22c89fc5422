"""Reading TumorGrowth.jl's flat table for the benchmarks, exactly as given (no cleaning policy:
the protocol scores the file's own values)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..inference import SeriesBatch

REQUIRED = ("Pt_hashID", "T_weeks", "Lesion_normvol")


def read_flat_batch(path: str | Path, *, min_readings: int = 0) -> tuple[SeriesBatch, pd.DataFrame]:
    """Series of ``Lesion_normvol`` against ``T_weeks`` keyed by ``Pt_hashID``.

    Raises DataError naming the file, row and column for a missing column or a non-numeric value.
    Rows are used as given (the protocol scores the file's own values): repeated time points are
    kept, and counted by :func:`describe_flat`. Returns the batch (records with at least
    ``min_readings`` rows) and the table read.
    """
    path = Path(path)
    if not path.exists():
        raise DataError("file not found", file=str(path))
    try:
        df = pd.read_csv(path, dtype={"Pt_hashID": str})
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"not a readable CSV table ({exc})", file=str(path)) from None
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise DataError(f"missing column(s) {missing}; the TumorGrowth.jl flat format has "
                        f"{list(REQUIRED)} (see README-tumorgrowth-format.md)", file=str(path))
    for col in ("T_weeks", "Lesion_normvol"):
        num = pd.to_numeric(df[col], errors="coerce")
        bad = np.flatnonzero(~np.isfinite(num.to_numpy(float)))
        if bad.size:
            raw = df[col].iloc[bad[0]]
            shown = "a blank cell" if pd.isna(raw) else f"value {str(raw)!r}"
            raise DataError(f"{shown} is not a finite number "
                            f"({bad.size} such rows)", file=str(path), row=int(bad[0]) + 2,
                            column=col)
        df[col] = num
    if df["Pt_hashID"].isna().any():
        row = int(np.flatnonzero(df["Pt_hashID"].isna().to_numpy())[0]) + 2
        raise DataError("empty series id", file=str(path), row=row, column="Pt_hashID")
    counts = df.groupby("Pt_hashID", sort=False)["T_weeks"].transform("size")
    keep = df[counts >= min_readings]
    if keep.empty:
        raise DataError(f"no series with at least {min_readings} readings", file=str(path))
    batch = SeriesBatch.from_frame(keep, time="T_weeks", value="Lesion_normvol", by=("Pt_hashID",))
    return batch, df


def describe_flat(df: pd.DataFrame, min_readings: int) -> dict[str, int]:
    """Counts of what the benchmark uses and leaves out of a flat table (nothing goes unreported)."""
    size = df.groupby("Pt_hashID", sort=False).size()
    dup = int(df.duplicated(["Pt_hashID", "T_weeks"]).sum())
    return {"rows": len(df), "series": int(size.size),
            "series_with_min_readings": int((size >= min_readings).sum()),
            "excluded_short_series": int((size < min_readings).sum()),
            "repeated_time_rows": dup}
