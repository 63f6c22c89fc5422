"""Canonical input frames of the RECIST engine and their validation (docs/recist.md#r13).

The lesion table is long: one row per (subject_id, tp, lesion_id). Sizes are converted to integer
hundredths of a millimetre (``SCALE = 100``) so that every threshold of RECIST 1.1 is compared
exactly by cross-multiplication (docs/recist.md#r0-3, decision D1); a size with finer precision than
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


@dataclass(frozen=True)
class _Constant:
    """An absent optional column: ``value`` on each of ``n`` rows (never materialised)."""

    value: object
    n: int


def _codes(series: pd.Series, upper: bool = False, strip: bool = True):
    """Integer codes and normalised text of the distinct values (missing -> ``""``).

    Only the few distinct values are converted in Python; rows carry integer codes (fast on
    millions of rows). Returns ``(codes, uniques)`` with ``uniques`` an object array.
    """
    if isinstance(series, _Constant):  # absent optional column: one value for every row
        codes, uniques = np.zeros(series.n, dtype=np.int64), [series.value]
    else:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    u = [str(x) for x in uniques]
    if strip:
        u = [x.strip() for x in u]
    if upper:
        u = [x.upper() for x in u]
    u = np.array(u + [""], dtype=object)
    codes = np.where(codes < 0, len(u) - 1, codes)
    # values that became equal after normalisation share one code
    c2, u2 = pd.factorize(u)
    return c2[codes].astype(np.int64), np.asarray(u2, dtype=object)


def _str_column(uniques: np.ndarray, codes: np.ndarray):
    """A pandas string column from distinct values and row codes (no per-row conversion)."""
    return pd.array(np.asarray(uniques, dtype=object), dtype="str").take(codes)


def _cat_column(uniques: np.ndarray, codes: np.ndarray) -> pd.Categorical:
    """A categorical text column (few distinct values; rows hold integer codes only)."""
    c2, u2 = pd.factorize(np.asarray(uniques, dtype=object))  # merge equal normalised values
    return pd.Categorical.from_codes(c2[codes],
                                     categories=pd.Index(np.asarray(u2, dtype=object), dtype="str"))


def _lexical_rank(uniques: np.ndarray) -> np.ndarray:
    """Rank of each distinct string in lexical (code point) order."""
    order = np.argsort(np.asarray(uniques, dtype=object), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _to_units(values: pd.Series, column: str) -> np.ndarray:
    try:
        x = pd.to_numeric(values, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (ValueError, TypeError) as exc:
        bad = pd.to_numeric(values, errors="coerce").isna() & values.notna()
        _bad(bad.to_numpy(), f"{column} is not a number", column)
        raise DataError(f"{column} is not numeric: {exc}", column=column) from exc
    idx = np.flatnonzero(~np.isnan(x))  # only the given sizes are checked and converted
    xs = x[idx]

    def bad(mask, message):
        if mask.any():
            raise DataError(message, row=int(idx[np.argmax(mask)]), column=column)

    bad(xs < 0, f"{column} is negative")
    bad(~np.isfinite(xs), f"{column} is not finite")
    scaled = xs * SCALE
    units = np.rint(scaled)
    bad(np.abs(scaled - units) > 1e-6 * np.maximum(1.0, np.abs(scaled)),
        f"{column} has finer precision than 0.01 mm (sizes are compared exactly, R0.3)")
    out = np.full(len(x), MISSING, dtype=np.int64)
    out[idx] = units.astype(np.int64)
    return out


@dataclass(frozen=True)
class Prepared:
    """Validated, normalised inputs (internal)."""

    lesions: pd.DataFrame      # canonical columns + ld_u, sa_u (int units, -1 = missing), row,
    #                            _sc, _lc, _role, _state (integer codes, see _prepare_lesions)
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
    return _prepare_lesions(lesions)[0]


def _prepare_lesions(lesions: pd.DataFrame):
    """``prepare_lesions`` plus the distinct subject and lesion ids (codes index them).

    The frame also carries integer code columns (internal): ``_sc`` (subject), ``_lc`` (lesion
    id), ``_role`` (index into ``ROLES``) and ``_state`` (index into ``STATES``).
    """
    n = len(lesions)
    df: dict = {}  # columns, assembled into one frame at the end (no per-column copies)
    df["row"] = np.arange(n)
    ids = {}
    for col in ("subject_id", "lesion_id"):
        s = lesions[col].reset_index(drop=True)
        codes, uniq = pd.factorize(s, use_na_sentinel=True)
        _bad(codes < 0, f"{col} is missing", col)
        c2, u2 = pd.factorize(np.array([str(x) for x in uniq], dtype=object))
        codes = c2[codes].astype(np.int64)
        u2 = np.asarray(u2, dtype=object)
        df[col] = _str_column(u2, codes)
        ids[col] = (codes, u2)
    tp = pd.to_numeric(lesions["tp"].reset_index(drop=True), errors="coerce")
    _bad((tp.isna() | (tp < 0) | (tp != np.floor(tp))).to_numpy(),
         "tp must be an integer >= 0 (0 = baseline)", "tp")
    df["tp"] = tp.to_numpy().astype(np.int64)
    rc, ru = _codes(lesions["role"].reset_index(drop=True), upper=True)
    ru[ru == "NON_TARGET"] = "NON-TARGET"
    _bad(~np.isin(ru, ROLES)[rc], f"unknown role (allowed: {', '.join(ROLES)})", "role")
    df["role"] = _cat_column(ru, rc)

    def opt(col, default, text=False):
        if col in lesions.columns:
            return lesions[col].reset_index(drop=True)
        if text:
            return _Constant(default, n)
        return pd.Series(np.full(n, default, dtype=object if isinstance(default, str)
                                 or isinstance(default, bool) else float))

    oc, ou = _codes(opt("organ", "", text=True))
    df["organ"] = _cat_column(ou, oc)
    nodal = opt("nodal", False)
    ncodes, nuniq = pd.factorize(nodal, use_na_sentinel=True)
    nflag = np.array([str(v).strip().lower() in ("true", "1", "y", "yes") if isinstance(v, str)
                      else bool(v) for v in nuniq] + [False], dtype=bool)
    df["nodal"] = nflag[ncodes]
    mc, mu = _codes(opt("method", "", text=True), upper=True)
    mu[mu == ""] = "CT"
    _bad(~np.isin(mu, METHODS)[mc], f"unknown method (allowed: {', '.join(METHODS)})", "method")
    df["method"] = _cat_column(mu, mc)
    sl = pd.to_numeric(opt("slice_mm", np.nan), errors="coerce").to_numpy(dtype=float)
    _bad(sl <= 0, "slice_mm must be > 0", "slice_mm")
    df["slice_mm"] = sl
    sc_, su = _codes(opt("state", "", text=True), upper=True)
    _bad(~np.isin(su, STATES)[sc_],
         f"unknown state (allowed: {', '.join(s for s in STATES if s)})", "state")
    df["state"] = _cat_column(su, sc_)
    for r, allowed in STATES_BY_ROLE.items():
        _bad((ru == r)[rc] & ~np.isin(su, allowed)[sc_],
             f"state not allowed for role {r} (allowed: {', '.join(a or '<empty>' for a in allowed)})",
             "state")
    ic, iu = _codes(opt("into", "", text=True))
    df["into"] = _cat_column(iu, ic)
    pc, pu = _codes(opt("parent_lesion_id", "", text=True))
    df["parent_lesion_id"] = _cat_column(pu, pc)
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
        df["date"] = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if "day" in lesions.columns:
        day = pd.to_numeric(lesions["day"].reset_index(drop=True), errors="coerce")
        _bad((day.notna() & (day != np.floor(day))).to_numpy(), "day must be an integer", "day")
        df["day"] = day.to_numpy(dtype=float)
    else:
        df["day"] = np.full(n, np.nan)

    sc, su_ids = ids["subject_id"]
    lc, lu_ids = ids["lesion_id"]
    nl = len(lu_ids) if n else 1
    ntp = int(df["tp"].max()) + 1 if n else 1
    df["tp"] = np.asarray(df["tp"])
    lkey = sc * nl + lc
    key = lkey * ntp + df["tp"]
    dense = n and len(su_ids) * nl * ntp <= 64_000_000  # counting table small enough
    if not dense or np.bincount(key, minlength=1).max() > 1:  # exact rows only if needed
        _bad(pd.Series(key).duplicated().to_numpy(), "duplicated (subject_id, tp, lesion_id)",
             "lesion_id")
    # unused distinct values (e.g. the "" of missing) get -1; used ones were validated above
    role_idx = np.array([ROLES.index(x) if x in ROLES else -1 for x in ru], dtype=np.int64)[rc]
    state_idx = np.array([STATES.index(x) if x in STATES else -1 for x in su],
                         dtype=np.int64)[sc_]
    is_t = role_idx == ROLES.index("TARGET")
    child = (pu != "")[pc]
    nod = df["nodal"]
    needs = is_t & (state_idx == 0)
    _bad(needs & nod & (df["sa_u"] == MISSING),
         "nodal target has no sa_mm (nodes are measured by short axis, R1.2) and no state",
         "sa_mm")
    _bad(needs & ~nod & (df["ld_u"] == MISSING),
         "target lesion has neither ld_mm nor a state", "ld_mm")
    _bad((state_idx == STATES.index("COALESCED")) & (iu == "")[ic],
         "COALESCED lesion needs 'into' (the lesion carrying the merged mass)", "into")
    _bad(child & ~is_t, "split fragments (parent_lesion_id) must have role TARGET", "role")
    # a lesion keeps one role across time points
    if n:
        lcodes = lkey if dense else pd.factorize(lkey)[0]
        rmin = np.full(lcodes.max() + 1, len(ROLES), dtype=np.int64)
        rmax = np.full(lcodes.max() + 1, -1, dtype=np.int64)
        np.minimum.at(rmin, lcodes, role_idx)
        np.maximum.at(rmax, lcodes, role_idx)
        _bad((rmin != rmax)[lcodes], "a lesion changes role across time points", "role")
    # compact dtypes: fewer bytes to assemble into the frame (int64 arithmetic casts first)
    df["_sc"] = sc.astype(np.int32) if len(su_ids) < 2**31 else sc
    df["_lc"] = lc.astype(np.int32) if len(lu_ids) < 2**31 else lc
    df["_role"] = role_idx.astype(np.int8)
    df["_state"] = state_idx.astype(np.int8)
    return pd.DataFrame(df, index=pd.RangeIndex(n)), su_ids, lu_ids


def prepare(lesions: pd.DataFrame, assessments: pd.DataFrame | None,
            subjects: pd.DataFrame | None) -> Prepared:
    """Validate and align the three canonical frames (see the package docstring)."""
    les, subj_ids, _ = _prepare_lesions(lesions)
    messages: list = []
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
    # grouped on integer keys ordered as (subject_id text, tp), like a sorted string groupby
    tp = les["tp"].to_numpy()
    ntp = int(tp.max()) + 1 if len(tp) else 1
    srank = _lexical_rank(subj_ids)
    by_rank = np.empty(len(subj_ids), dtype=object)
    by_rank[srank] = subj_ids
    gkey = srank[les["_sc"].to_numpy()] * ntp + tp.astype(np.int64)
    grp = pd.DataFrame({"k": gkey, "date": les["date"].to_numpy(),
                        "day": les["day"].to_numpy()}).groupby("k", sort=True)
    derived = grp.agg(date_first=("date", "min"), date_last=("date", "max"),
                      day_first=("day", "min"), day_last=("day", "max"))
    k = derived.index.to_numpy()
    derived = derived.reset_index(drop=True)
    derived.insert(0, "tp", k % ntp)
    derived.insert(0, "subject_id", _str_column(by_rank, k // ntp))
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
        a["day"] = (pd.to_numeric(a[day_col], errors="coerce").to_numpy(dtype=float,
                                                                         na_value=np.nan)
                    if day_col else np.nan)
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
