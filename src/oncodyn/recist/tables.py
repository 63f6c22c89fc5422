"""Canonical input frames of the RECIST engine and their validation (RECIST.md §R13).

The lesion table is long: one row per (subject_id, tp, lesion_id). Sizes are converted to integer
hundredths of a millimetre (``SCALE = 100``) so that every threshold of RECIST 1.1 is compared
exactly by cross-multiplication (RECIST.md R0.3, decision D1); a size with finer precision than
0.01 mm is a :class:`~oncodyn.errors.DataError`, never silently rounded.

Rows are named by their 0-based position in the frame passed in (``row=``) and the column.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError

SCALE = 100  #: integer units per mm (exact to 0.01 mm)
MISSING = -1  #: integer code of a missing size

ROLES = ("TARGET", "NON-TARGET", "NEW", "CANDIDATE")
METHODS = ("CT", "MRI", "CHEST_XRAY", "CALIPER")
STATES = ("", "TOO_SMALL_TO_MEASURE", "NOT_EVALUATED", "SPLIT", "COALESCED", "PRESENT", "ABSENT",
          "UNEQUIVOCAL_PROGRESSION", "FURTHER_INCREASE", "EQUIVOCAL", "UNEQUIVOCAL")
STATES_BY_ROLE = {
    "TARGET": ("", "TOO_SMALL_TO_MEASURE", "NOT_EVALUATED", "SPLIT", "COALESCED", "ABSENT"),
    "NON-TARGET": ("", "PRESENT", "ABSENT", "UNEQUIVOCAL_PROGRESSION", "NOT_EVALUATED",
                   "FURTHER_INCREASE"),
    "NEW": ("", "EQUIVOCAL", "UNEQUIVOCAL", "ABSENT", "NOT_EVALUATED", "UNEQUIVOCAL_PROGRESSION",
            "FURTHER_INCREASE"),
    "CANDIDATE": STATES,
}
LESION_COLUMNS = ("subject_id", "tp", "date", "day", "lesion_id", "role", "organ", "nodal",
                  "method", "slice_mm", "ld_mm", "sa_mm", "state", "into", "parent_lesion_id")
REQUIRED = ("subject_id", "tp", "lesion_id", "role")
SUBJECT_DATE_COLUMNS = ("reference_date", "death_date", "new_anticancer_therapy_date",
                        "symptomatic_deterioration_date", "end_of_treatment_date")


def _bad(mask: np.ndarray, message: str, column: str) -> None:
    idx = np.flatnonzero(mask)
    if idx.size:
        raise DataError(message, row=int(idx[0]), column=column)


def _text(series: pd.Series, upper: bool = False) -> np.ndarray:
    """Stripped text (object array); normalises the few distinct values only (fast)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    u = np.array([str(x).strip().upper() if upper else str(x).strip() for x in uniques] + [""],
                 dtype=object)
    return u[codes]  # code -1 (missing) -> ""


def _to_units(values: pd.Series, column: str) -> np.ndarray:
    try:
        x = pd.to_numeric(values, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (ValueError, TypeError) as exc:
        bad = pd.to_numeric(values, errors="coerce").isna() & values.notna()
        _bad(bad.to_numpy(), f"{column} is not a number", column)
        raise DataError(f"{column} is not numeric: {exc}", column=column) from exc
    ok = ~np.isnan(x)
    _bad(ok & (x < 0), f"{column} is negative", column)
    _bad(~np.isfinite(x) & ok, f"{column} is not finite", column)
    scaled = np.where(ok, x * SCALE, 0.0)
    units = np.rint(scaled)
    _bad(ok & (np.abs(scaled - units) > 1e-6 * np.maximum(1.0, np.abs(scaled))),
         f"{column} has finer precision than 0.01 mm (sizes are compared exactly, R0.3)", column)
    return np.where(ok, units, MISSING).astype(np.int64)


@dataclass(frozen=True)
class Prepared:
    """Validated, normalised inputs (internal)."""

    lesions: pd.DataFrame      # canonical columns + ld_u, sa_u (int units, -1 = missing), row
    assessments: pd.DataFrame  # subject_id, tp, day_first, day_last, performed, label
    subjects: pd.DataFrame     # subject_id, reference_date (Timestamp|NaT), *_day offsets (float)
    messages: list             # (subject_id, level, code, lesion_id, text)


def prepare_lesions(lesions: pd.DataFrame) -> pd.DataFrame:
    """Validate the canonical lesion table and add integer sizes (``ld_u``, ``sa_u``).

    Raises
    ------
    DataError
        Missing required column; unknown role/method/state; negative or over-precise size; a
        duplicated (subject_id, tp, lesion_id); a target with neither its size nor a state; a
        nodal target without ``sa_mm``; a coalesced lesion without ``into``.
    """
    if not isinstance(lesions, pd.DataFrame):
        raise DataError(f"lesions must be a pandas DataFrame, got {type(lesions).__name__}")
    for col in REQUIRED:
        if col not in lesions.columns:
            raise DataError(f"required column missing (columns: {', '.join(REQUIRED)})",
                            column=col)
    unknown = [c for c in lesions.columns if c not in LESION_COLUMNS and c not in
               ("site", "first_tp", "label", "week")]
    if unknown:
        raise DataError(f"unknown column (allowed: {', '.join(LESION_COLUMNS)})",
                        column=unknown[0])
    n = len(lesions)
    df = pd.DataFrame(index=pd.RangeIndex(n))
    df["row"] = np.arange(n)
    for col in ("subject_id", "lesion_id"):
        s = lesions[col].reset_index(drop=True)
        _bad(s.isna().to_numpy(), f"{col} is missing", col)
        df[col] = s.astype(str).to_numpy()
    tp = pd.to_numeric(lesions["tp"].reset_index(drop=True), errors="coerce")
    _bad((tp.isna() | (tp < 0) | (tp != np.floor(tp))).to_numpy(),
         "tp must be an integer >= 0 (0 = baseline)", "tp")
    df["tp"] = tp.to_numpy().astype(np.int64)
    role = _text(lesions["role"].reset_index(drop=True), upper=True)
    role[role == "NON_TARGET"] = "NON-TARGET"
    _bad(~np.isin(role, ROLES), f"unknown role (allowed: {', '.join(ROLES)})", "role")
    df["role"] = role.astype(object)

    def opt(col, default):
        if col in lesions.columns:
            return lesions[col].reset_index(drop=True)
        return pd.Series([default] * n, dtype=object)

    df["organ"] = _text(opt("organ", ""))
    nodal = opt("nodal", False)
    ncodes, nuniq = pd.factorize(nodal, use_na_sentinel=True)
    nflag = np.array([str(v).strip().lower() in ("true", "1", "y", "yes") if isinstance(v, str)
                      else bool(v) for v in nuniq] + [False], dtype=bool)
    df["nodal"] = nflag[ncodes]
    method = _text(opt("method", ""), upper=True)
    method[method == ""] = "CT"
    _bad(~np.isin(method, METHODS), f"unknown method (allowed: {', '.join(METHODS)})", "method")
    df["method"] = method.astype(object)
    sl = pd.to_numeric(opt("slice_mm", np.nan), errors="coerce").to_numpy(dtype=float)
    _bad(sl <= 0, "slice_mm must be > 0", "slice_mm")
    df["slice_mm"] = sl
    state = _text(opt("state", ""), upper=True)
    _bad(~np.isin(state, STATES), f"unknown state (allowed: {', '.join(s for s in STATES if s)})",
         "state")
    df["state"] = state.astype(object)
    for r, allowed in STATES_BY_ROLE.items():
        _bad((role == r) & ~np.isin(state, allowed),
             f"state not allowed for role {r} (allowed: {', '.join(a or '<empty>' for a in allowed)})",
             "state")
    df["into"] = _text(opt("into", ""))
    df["parent_lesion_id"] = _text(opt("parent_lesion_id", ""))
    for col in ("ld_mm", "sa_mm"):
        raw = opt(col, np.nan)
        df[col] = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        df[col[:2] + "_u"] = _to_units(raw, col)
    if "date" in lesions.columns:
        d = lesions["date"].reset_index(drop=True)
        parsed = pd.to_datetime(d, errors="coerce")
        _bad((parsed.isna() & d.notna() & (d.astype(str).str.strip() != "")).to_numpy(),
             "date is not an ISO date", "date")
        df["date"] = parsed.dt.normalize().to_numpy()
    else:
        df["date"] = pd.NaT
    if "day" in lesions.columns:
        day = pd.to_numeric(lesions["day"].reset_index(drop=True), errors="coerce")
        _bad((day.notna() & (day != np.floor(day))).to_numpy(), "day must be an integer", "day")
        df["day"] = day.to_numpy(dtype=float)
    else:
        df["day"] = np.nan

    sc = pd.factorize(df["subject_id"])[0].astype(np.int64)
    lc = pd.factorize(df["lesion_id"])[0].astype(np.int64)
    nl = int(lc.max()) + 1 if n else 1
    ntp = int(df["tp"].max()) + 1 if n else 1
    key = pd.Series((sc * nl + lc) * ntp + df["tp"].to_numpy())
    _bad(key.duplicated().to_numpy(), "duplicated (subject_id, tp, lesion_id)", "lesion_id")
    is_t = (role == "TARGET")
    child = df["parent_lesion_id"].to_numpy() != ""
    st = state
    nod = df["nodal"].to_numpy()
    needs = is_t & (st == "")
    _bad(needs & nod & (df["sa_u"].to_numpy() == MISSING),
         "nodal target has no sa_mm (nodes are measured by short axis, R1.2) and no state",
         "sa_mm")
    _bad(needs & ~nod & (df["ld_u"].to_numpy() == MISSING),
         "target lesion has neither ld_mm nor a state", "ld_mm")
    _bad((st == "COALESCED") & (df["into"].to_numpy() == ""),
         "COALESCED lesion needs 'into' (the lesion carrying the merged mass)", "into")
    _bad(child & ~is_t, "split fragments (parent_lesion_id) must have role TARGET", "role")
    # a lesion keeps one role across time points
    rc = pd.factorize(df["role"])[0]
    lk = pd.Series(rc, index=sc * nl + lc)
    nroles = lk.groupby(level=0).nunique()
    _bad(nroles.reindex(sc * nl + lc).to_numpy() > 1, "a lesion changes role across time points",
         "role")
    return df


def prepare(lesions: pd.DataFrame, assessments: pd.DataFrame | None,
            subjects: pd.DataFrame | None) -> Prepared:
    """Validate and align the three canonical frames (see the package docstring)."""
    les = prepare_lesions(lesions)
    messages: list = []
    subj_ids = pd.unique(les["subject_id"])
    # ---- subjects
    if subjects is None:
        sub = pd.DataFrame({"subject_id": subj_ids})
    else:
        if "subject_id" not in subjects.columns:
            raise DataError("subjects frame needs subject_id", column="subject_id")
        bad = [c for c in subjects.columns if c != "subject_id" and c not in SUBJECT_DATE_COLUMNS]
        if bad:
            raise DataError(f"unknown column in subjects (allowed: subject_id, "
                            f"{', '.join(SUBJECT_DATE_COLUMNS)})", column=bad[0])
        sub = subjects.reset_index(drop=True).copy()
        sub["subject_id"] = sub["subject_id"].astype(str)
        _bad(sub["subject_id"].duplicated().to_numpy(), "duplicated subject_id in subjects",
             "subject_id")
        missing = sorted(set(subj_ids) - set(sub["subject_id"]))
        if missing:
            sub = pd.concat([sub, pd.DataFrame({"subject_id": missing})], ignore_index=True)
    for col in SUBJECT_DATE_COLUMNS:
        if col in sub.columns:
            raw = sub[col]
            parsed = pd.to_datetime(raw, errors="coerce")
            _bad((parsed.isna() & raw.notna()).to_numpy(), "not an ISO date", col)
            sub[col] = parsed.dt.normalize()
        else:
            sub[col] = pd.NaT
    # ---- assessments
    grp = les.groupby(["subject_id", "tp"], sort=True)
    derived = grp.agg(date_first=("date", "min"), date_last=("date", "max"),
                      day_first=("day", "min"), day_last=("day", "max")).reset_index()
    derived["performed"] = True
    derived["label"] = ""
    if assessments is not None:
        a = assessments.reset_index(drop=True).copy()
        for col in ("subject_id", "tp"):
            if col not in a.columns:
                raise DataError("assessments frame needs subject_id and tp", column=col)
        a["subject_id"] = a["subject_id"].astype(str)
        a["tp"] = pd.to_numeric(a["tp"], errors="coerce")
        _bad(a["tp"].isna().to_numpy(), "tp must be an integer", "tp")
        a["tp"] = a["tp"].astype(np.int64)
        _bad(a.duplicated(["subject_id", "tp"]).to_numpy(), "duplicated (subject_id, tp)", "tp")
        if "date" in a.columns:
            d = pd.to_datetime(a["date"], errors="coerce")
            _bad((d.isna() & a["date"].notna()).to_numpy(), "not an ISO date", "date")
            a["date"] = d.dt.normalize()
        else:
            a["date"] = pd.NaT
        day_col = "day" if "day" in a.columns else ("day_offset" if "day_offset" in a.columns
                                                    else None)
        a["day"] = pd.to_numeric(a[day_col], errors="coerce") if day_col else np.nan
        a["performed"] = a["performed"].fillna(True).astype(bool) if "performed" in a.columns \
            else True
        a["label"] = a["label"].fillna("").astype(str) if "label" in a.columns else ""
        m = a.merge(derived, on=["subject_id", "tp"], how="outer", suffixes=("", "_les"),
                    indicator=True)
        clash = (m["_merge"] == "both") & ~m["performed"].fillna(True).astype(bool)
        if clash.any():
            r = m[clash].iloc[0]
            raise DataError(f"subject {r['subject_id']} tp {r['tp']} has lesion rows but "
                            "performed = false", column="performed")
        m["performed"] = m["performed"].fillna(True).astype(bool)
        m["label"] = m["label"].fillna("")
        # assessment date/day fill in when the lesion rows carry none
        m["date_first"] = m["date_first"].fillna(m["date"])
        m["date_last"] = m["date_last"].fillna(m["date"])
        m["day_first"] = m["day_first"].fillna(m["day"])
        m["day_last"] = m["day_last"].fillna(m["day"])
        derived = m[["subject_id", "tp", "date_first", "date_last", "day_first", "day_last",
                     "performed", "label"]].sort_values(["subject_id", "tp"],
                                                         ignore_index=True)
    # ---- time axis: integer day offsets from the reference date (R0.2)
    base = derived[derived["tp"] == 0].set_index("subject_id")["date_first"]
    ref = sub.set_index("subject_id")["reference_date"]
    no_ref = ref.isna() & ref.index.isin(base.dropna().index)
    for sid in ref.index[no_ref]:
        messages.append((sid, "warning", "REFERENCE_DATE_FROM_BASELINE", "",
                         "no reference_date: the baseline scan date is used as reference"))
    ref = ref.where(~no_ref, base.reindex(ref.index))
    sub["reference_date"] = sub["subject_id"].map(ref)
    r = derived["subject_id"].map(ref)
    has_date = derived["date_first"].notna() & r.notna()
    for a_col, d_col in (("day_first", "date_first"), ("day_last", "date_last")):
        derived[a_col] = np.where(has_date, (derived[d_col] - r).dt.days, derived[a_col])
    missing_t = derived["day_first"].isna() & derived["performed"]
    if missing_t.any():
        x = derived[missing_t].iloc[0]
        raise DataError(f"subject {x['subject_id']} tp {x['tp']} has neither a date nor a day",
                        column="date")
    # not-performed assessments without any time are placed nowhere: they still count as NE
    for col in SUBJECT_DATE_COLUMNS[1:]:
        sub[col.replace("_date", "_day")] = (sub[col] - sub["reference_date"]).dt.days
        bad = sub[col].notna() & sub["reference_date"].isna()
        if bad.any():
            raise DataError(f"subject {sub[bad].iloc[0]['subject_id']}: {col} given but no "
                            "reference_date (and no dated baseline scan)", column=col)
    return Prepared(les, derived, sub, messages)
