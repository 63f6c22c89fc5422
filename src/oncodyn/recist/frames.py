"""Assembly of the result frames from raw per-time-point columns (shared by both engines)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .reasons import timepoint_reasons
from .tables import MISSING, SCALE

TP_COLUMNS = ["subject_id", "tp", "label", "date", "day", "performed", "target", "non_target",
              "new_lesions", "overall", "overall_as_assessed", "sod_mm", "baseline_sod_mm",
              "nadir_ref_mm", "partial_sod_mm", "pct_change_from_baseline",
              "pct_change_from_nadir", "excluded_after_new_therapy", "in_bor_window", "reason"]
BOR_COLUMNS = ["subject_id", "bor", "bor_tp", "bor_date", "bor_day", "confirmed",
               "best_pct_change", "reason"]
PFS_COLUMNS = ["subject_id", "event", "date", "day", "days", "reason", "dor_event", "dor_days",
               "response_start_date"]


def _mm(u: np.ndarray) -> np.ndarray:
    u = np.asarray(u, dtype=np.int64)
    return np.where(u == MISSING, np.nan, u / SCALE)


def _pct(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ok = (a != MISSING) & (b != MISSING) & (b > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = 100.0 * (a - b) / np.where(ok, b, 1)
    return np.where(ok, np.round(v, 2), np.nan)  # display only (R0.3)


def _dates(ref: np.ndarray, day: np.ndarray) -> np.ndarray:
    day = np.asarray(day, dtype=float)
    if isinstance(ref, np.ndarray) and np.issubdtype(ref.dtype, np.datetime64):
        ref = ref.astype("datetime64[ns]")
    else:  # the reference path's lists may hold NaN/None/NaT for a missing reference date
        ref = pd.to_datetime(pd.Series(list(ref), dtype=object),
                             errors="coerce").to_numpy("datetime64[ns]")
    ok = ~np.isnan(day) & ~np.isnat(ref)
    out = np.full(day.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    out[ok] = ref[ok] + (day[ok].astype(np.int64) * np.timedelta64(1, "D"))
    return out


def _text(x):
    """Text column: a pandas string array is kept as is, anything else becomes object."""
    if isinstance(x, pd.api.extensions.ExtensionArray):
        return x
    return np.asarray(x, dtype=object)


def timepoint_frame(c: dict) -> pd.DataFrame:
    """Time-point frame from raw columns (units, codes); see ``TP_COLUMNS``."""
    n = len(c["tp"])
    day = np.asarray(c["day"], dtype=float)
    labels = np.asarray(c["label"], dtype=object)
    when = labels.copy()
    m = np.flatnonzero(labels == "")  # unlabelled time points are named by tp or day
    if m.size:
        dm = day[m]
        tps = pd.Series(np.asarray(c["tp"])[m]).astype(str)
        dd = pd.Series(np.where(np.isnan(dm), 0, dm).astype(np.int64)).astype(str)
        when[m] = np.where(np.isnan(dm), "tp " + tps, "day " + dd)
    reasons = timepoint_reasons(c, when)
    if "i_note" in c:
        reasons = np.array([f"{r}; iRECIST: {n}" if n else r
                            for r, n in zip(reasons, c["i_note"], strict=False)], dtype=object)
    df = pd.DataFrame({
        "subject_id": _text(c["subject_id"]),
        "tp": np.asarray(c["tp"], dtype=np.int64),
        "label": labels,
        "date": _dates(c["ref"], day),
        "day": pd.array(np.where(np.isnan(day), 0, day).astype(np.int64), dtype="Int64"),
        "performed": np.asarray(c["performed"], dtype=bool),
        "target": _text(c["target"]),
        "non_target": _text(c["non_target"]),
        "new_lesions": _text(c["new_lesions"]),
        "overall": _text(c["overall"]),
        "overall_as_assessed": _text(c["overall_as_assessed"]),
        "sod_mm": _mm(c["sod_u"]), "baseline_sod_mm": _mm(c["baseline_u"]),
        "nadir_ref_mm": _mm(c["nadir_u"]), "partial_sod_mm": _mm(c["partial_u"]),
        "pct_change_from_baseline": _pct(c["sod_u"], c["baseline_u"]),
        "pct_change_from_nadir": _pct(c["sod_u"], c["nadir_u"]),
        "excluded_after_new_therapy": np.asarray(c["excluded"], dtype=bool),
        "in_bor_window": np.asarray(c["in_window"], dtype=bool),
        "reason": reasons,
    }, index=pd.RangeIndex(n))
    df.loc[np.isnan(day), "day"] = pd.NA
    for extra in ("overall_recist11", "nlt_sum_mm"):
        if extra in c:
            df[extra] = c[extra]
    return df


def bor_frame(c: dict) -> pd.DataFrame:
    """Best-overall-response frame from raw columns (``bor_day`` float, NaN = none; the dates
    from ``ref`` + ``bor_day``, or ``bor_date`` when given instead of ``ref``)."""
    day = np.asarray(c["bor_day"], dtype=float)
    return pd.DataFrame({
        "subject_id": np.asarray(c["subject_id"], dtype=object),
        "bor": np.asarray(c["bor"], dtype=object),
        "bor_tp": pd.array(np.asarray(c["bor_tp"], dtype=float), dtype="Int64"),
        "bor_date": (np.asarray(c["bor_date"], dtype="datetime64[ns]") if "bor_date" in c
                     else _dates(c["ref"], day)),
        "bor_day": pd.array(day, dtype="Int64"),
        "confirmed": np.asarray(c["confirmed"], dtype=bool),
        "best_pct_change": np.asarray(c["best_pct_change"], dtype=float),
        "reason": np.asarray(c["reason"], dtype=object),
    })


def pfs_frame(c: dict, day_offset: int) -> pd.DataFrame:
    """PFS/DoR frame from raw columns (integer day offsets)."""
    day = np.asarray(c["day"], dtype=np.int64)
    rs = np.asarray(c["response_start_day"], dtype=float)
    return pd.DataFrame({
        "subject_id": np.asarray(c["subject_id"], dtype=object),
        "event": np.asarray(c["event"], dtype=bool),
        "date": _dates(c["ref"], day),
        "day": day,
        "days": day + day_offset,
        "reason": np.asarray(c["reason"], dtype=object),
        "dor_event": pd.array(np.asarray(c["dor_event"], dtype=object), dtype="boolean"),
        "dor_days": pd.array(np.asarray(c["dor_days"], dtype=float), dtype="Int64"),
        "response_start_date": _dates(c["ref"], rs),
    })


def bor_reason(bor, confirmed, day, opts, nt_only) -> str:
    """Words for the BOR (R8)."""
    if bor in ("CR", "PR", "iCR", "iPR"):
        conf = "confirmed" if confirmed else ("unconfirmed" if opts.confirmation_required
                                              else "confirmation not required")
        return f"{bor} first documented on day {day} ({conf})"
    if bor in ("SD", "NON-CR/NON-PD", "iSD", "NON-iCR/NON-iUPD"):
        return (f"{bor}: best response CR/PR not (confirmed); stable disease documented on day "
                f"{day} >= the {opts.min_sd_days}-day minimum")
    if bor in ("PD", "iCPD", "iUPD"):
        return f"{bor} on day {day}; no response or SD meeting the minimum before it"
    return "NE: no post-baseline assessment meets CR/PR/SD criteria (or SD before the minimum)"
