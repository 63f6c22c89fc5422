"""Record-level rules for reading real SDTM TU/TR/DM files (private, behind
:func:`oncodyn.data.cdisc.from_sdtm`).

* **Partial dates** (``--DTC`` of ``"2014-01"`` or ``"2014"``, allowed by SDTMIG v3.3 section
  4.4.4 for unknown parts) are completed, never silently: with the study day (``TRDY``) and the
  subject's reference date (DM ``RFSTDTC``) when both are known and the day falls inside the
  partial period (date = RFSTDTC + TRDY - 1 for TRDY >= 1, RFSTDTC + TRDY before); otherwise the
  first or the last day of the partial period, the usual ADaM imputation choice (CDISC ADaMIG
  v1.1 section 3.1.3 "imputation"; pharmaverse ``admiral::derive_vars_dt(date_imputation =
  "first" | "last")``). ``partial_dates="error"`` refuses them. Every completed value is a
  finding ``imputed_date``.
* **Study day vs date**: where TRDTC, TRDY and RFSTDTC are all given and disagree, a finding
  ``study_day_disagrees`` (dates are used by the RECIST engine when both exist).
* **Readers**: ``--EVAL`` (role, e.g. INDEPENDENT ASSESSOR) and ``--EVALID`` (which reader, e.g.
  RADIOLOGIST 1) together name one reader; records of different readers are never pooled.
* **Sizes**: float noise (``11.700000000000001``) is rounded to the 0.01 mm of RECIST's exact
  comparisons (spec R0.3: sizes compared in hundredths of a mm); a value with finer precision,
  negative, not finite or above ``MAX_SIZE_MM`` (500 mm) is refused at its TR row and column (the engine refuses the same values,
  a test checks that they agree).

Findings are rows of :data:`FINDINGS_COLUMNS` (file, 1-based data row, SDTM variable).
"""

from __future__ import annotations

import calendar
import math
import re
from typing import TYPE_CHECKING, Any, Literal

from ..errors import DataError
from ._schema import MAX_SIZE_MM
from .lesions import validate_subjects

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

PartialDates = Literal["error", "first", "last"]
FINDINGS_COLUMNS = ("file", "row", "column", "subject_id", "value", "finding", "detail")

_FULL = re.compile(r"^\d{4}-\d{2}-\d{2}")
_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2}))?-*$")
#: hundredths of a mm: RECIST sizes are compared exactly in these units (spec R0.3)
SCALE = 100
#: relative tolerance of float noise (a product or text rendering of a 0.01 mm value); the same
#: tolerance as the RECIST engine's precision check (``oncodyn.recist.tables``)
NOISE_RTOL = 1e-6


def text(v: Any) -> str | None:
    """A cell as stripped text; None when missing or blank (``12.0`` -> ``"12"``)."""
    import pandas as pd

    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    s = str(v).strip()
    if s.endswith(".0") and s[:-2].lstrip("-").isdigit():
        s = s[:-2]
    return s or None


class Findings:
    """Collects record-level findings (imputed dates, study-day disagreements...)."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def add(self, file: str | None, row: int, column: str, subject_id: str | None, value: Any,
            finding: str, detail: str) -> None:
        self.rows.append((file, int(row), column, subject_id, value, finding, detail))

    def count(self, finding: str) -> int:
        return sum(1 for r in self.rows if r[5] == finding)

    def first(self, finding: str) -> tuple | None:
        return next((r for r in self.rows if r[5] == finding), None)

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(FINDINGS_COLUMNS))


class DateReader:
    """Parse SDTM ``--DTC`` values, completing partial dates by the documented rule."""

    def __init__(self, partial_dates: PartialDates, refs: dict[str, Any], findings: Findings):
        if partial_dates not in ("error", "first", "last"):
            raise DataError(f"partial_dates must be 'error', 'first' or 'last' (got "
                            f"{partial_dates!r})")
        self.policy = partial_dates
        self.refs = refs
        self.findings = findings

    def __call__(self, v: Any, file: str | None, row: int, column: str,
                 subject: str | None = None, offset: int | None = None):
        import pandas as pd

        s = text(v)
        if s is None:
            return pd.NaT
        if _FULL.match(s):
            try:
                return pd.Timestamp(s[:10])
            except ValueError:
                raise DataError(f"invalid date {s!r}", file=file, row=row,
                                column=column) from None
        m = _PARTIAL.match(s)
        if m is None:
            raise DataError(f"not an ISO 8601 date (got {s!r})", file=file, row=row,
                            column=column)
        if self.policy == "error":
            raise DataError(f"partial date {s!r} (partial_dates='error'); complete it upstream "
                            "or choose partial_dates='first' or 'last' (CLI --partial-dates)",
                            file=file, row=row, column=column)
        year, month = int(m.group(1)), m.group(2)
        if month is not None and not 1 <= int(month) <= 12:
            raise DataError(f"invalid month in {s!r}", file=file, row=row, column=column)
        lo = pd.Timestamp(year, int(month or 1), 1)
        hi = pd.Timestamp(year, int(month or 12),
                          calendar.monthrange(year, int(month or 12))[1])
        ref = self.refs.get(subject) if subject is not None else None
        period = "month" if month is not None else "year"
        if offset is not None and ref is not None and not pd.isna(ref):
            cand = pd.Timestamp(ref) + pd.Timedelta(days=int(offset))
            if lo <= cand <= hi:
                self.findings.add(file, row, column, subject, s, "imputed_date",
                                  f"{cand:%Y-%m-%d} (from the study day and DM RFSTDTC)")
                return cand
            why = f"; the study day gives {cand:%Y-%m-%d}, outside {s}"
        else:
            why = ""
        date = lo if self.policy == "first" else hi
        self.findings.add(file, row, column, subject, s, "imputed_date",
                          f"{date:%Y-%m-%d} ({self.policy} day of the {period}{why})")
        return date


def study_offset(v: Any, file: str | None, row: int, column: str = "TRDY") -> int | None:
    """SDTM study day (no day 0; day 1 = reference date) -> day offset (0 = reference date)."""
    s = text(v)
    if s is None:
        return None
    try:
        d = float(s)
    except ValueError:
        d = float("nan")
    if d != d or math.isinf(d) or d != int(d) or d == 0:
        raise DataError(f"study day must be a non-zero integer (got {s!r})", file=file, row=row,
                        column=column)
    return int(d) - 1 if d > 0 else int(d)


def check_study_day(date, offset: int | None, ref, findings: Findings, file: str | None,
                    row: int, subject: str, raw_dtc: Any) -> None:
    """Record a finding when TRDY disagrees with TRDTC - RFSTDTC (complete dates only)."""
    import pandas as pd

    if offset is None or ref is None or pd.isna(ref) or date is pd.NaT or pd.isna(date):
        return
    s = text(raw_dtc)
    if s is None or not _FULL.match(s):
        return  # an imputed date is checked by its imputation rule
    got = (pd.Timestamp(date) - pd.Timestamp(ref)).days
    if got != offset:
        dy = offset + 1 if offset >= 0 else offset
        want = got + 1 if got >= 0 else got
        findings.add(file, row, "TRDY", subject, dy, "study_day_disagrees",
                     f"TRDY {dy} but TRDTC {s[:10]} - RFSTDTC {pd.Timestamp(ref):%Y-%m-%d} gives "
                     f"study day {want}")


def select_reader(df: pd.DataFrame, name_col: str, id_col: str, evaluator: str | None,
                  evaluator_id: str | None, what: str, file: str | None,
                  notes: list[str]) -> pd.DataFrame:
    """Keep the records of one reader: ``name_col`` (TUEVAL/TREVAL) = ``evaluator`` and
    ``id_col`` (TUEVALID/TREVALID) = ``evaluator_id``; refuse to pool several readers."""
    has_name, has_id = name_col in df.columns, id_col in df.columns
    keep = None
    if has_name:
        names = df[name_col].map(text).str.upper()
        distinct = sorted({v for v in names.dropna()})
        if evaluator is None and len(distinct) > 1:
            raise DataError(f"several evaluators in {what} ({', '.join(distinct)}); choose one "
                            "with evaluator= (CLI --evaluator): RECIST evaluates one reader at a "
                            "time", file=file, column=name_col)
        if evaluator is not None:
            keep = (names == evaluator.upper()).to_numpy(dtype=bool)
            if not keep.any():
                raise DataError(f"no {what} record with {name_col} = {evaluator!r} (present: "
                                f"{', '.join(distinct) or 'none'})", file=file, column=name_col)
    elif evaluator is not None:
        notes.append(f"{what}: no {name_col} column; evaluator={evaluator!r} not checked")
    if has_id:
        ids = df[id_col].map(text).str.upper()
        sel = ids if keep is None else ids[keep]
        distinct_ids = sorted({"(blank)" if v is None or v != v else v for v in sel})
        if evaluator_id is None and len(distinct_ids) > 1:
            who = f" {name_col} = {evaluator}" if evaluator else ""
            raise DataError(f"{what} holds several readers{who} ({id_col}: "
                            f"{', '.join(distinct_ids)}); refusing to pool them: choose one "
                            "with evaluator_id= (CLI --evaluator-id)", file=file, column=id_col)
        if evaluator_id is not None:
            hit = (ids == evaluator_id.upper()).to_numpy(dtype=bool)
            keep = hit if keep is None else keep & hit
            if not keep.any():
                raise DataError(f"no {what} record with {id_col} = {evaluator_id!r} (present: "
                                f"{', '.join(distinct_ids)})", file=file, column=id_col)
    elif evaluator_id is not None:
        raise DataError(f"evaluator_id={evaluator_id!r} given but {what} has no {id_col} column",
                        file=file, column=id_col)
    if keep is None:
        return df
    if (~keep).sum():
        notes.append(f"{what}: {int((~keep).sum())} record(s) of other evaluators (readers) dropped")
    return df.loc[keep]


def size_mm(val: float, file: str | None, row: int, column: str) -> float:
    """A size in mm checked for RECIST: float noise rounded to 0.01 mm; finer precision,
    negative or non-finite values refused at the TR row and column."""
    if not math.isfinite(val):
        raise DataError(f"size must be finite (got {val!r})", file=file, row=row, column=column)
    if val < 0:
        raise DataError(f"size cannot be negative (got {val:g})", file=file, row=row,
                        column=column)
    if val > MAX_SIZE_MM:  # the canonical tables' one limit (oncodyn.data._schema)
        raise DataError(f"size {val:g} mm is above {MAX_SIZE_MM:g} mm, not plausible (a unit "
                        "slip? TRSTRESU says mm or cm)", file=file, row=row, column=column)
    x = val * SCALE
    r = round(x)
    if abs(x - r) > NOISE_RTOL * max(1.0, abs(x)):
        raise DataError(f"size {val!r} mm has finer precision than 0.01 mm (RECIST compares "
                        "sizes exactly in hundredths of a mm, R0.3); round it upstream",
                        file=file, row=row, column=column)
    return r / SCALE


def upper_cols(df: pd.DataFrame, what: str, file: str | None) -> pd.DataFrame:
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame", file=file)
    out = df.reset_index(drop=True).copy()
    out.columns = [str(c).strip().upper() for c in out.columns]
    for c in out.columns:  # SAS transport gives bytes; plain objects iterate fastest
        if pd.api.types.is_string_dtype(out[c]) or out[c].dtype == object:
            out[c] = out[c].astype(object).map(
                lambda v: v.decode() if isinstance(v, bytes) else v)
    return out


def col(df: pd.DataFrame, names: tuple[str, ...], what: str, file: str | None,
         required: bool = True) -> str | None:
    for n in names:
        if n in df.columns:
            return n
    if required:
        raise DataError(f"{what} lacks required variable (columns present: "
                        f"{', '.join(df.columns)})", file=file, column=names[0])
    return None


def dm_subjects(dm: pd.DataFrame, fdm: str, read_date: DateReader) -> pd.DataFrame:
    """DM -> subjects (subject_id, reference_date, death_date); partial dates completed."""
    import pandas as pd

    dm = upper_cols(dm, "DM", fdm)
    sub = col(dm, ("USUBJID",), "DM", fdm)
    ref = col(dm, ("RFSTDTC", "RFXSTDTC", "RANDDT"), "DM", fdm)
    srows = []
    for i, rec in enumerate(dm.to_dict("records"), start=1):
        sid = text(rec[sub])
        if sid is None:
            raise DataError("empty USUBJID", file=fdm, row=i, column=sub)
        srows.append({"subject_id": sid,
                      "reference_date": read_date(rec[ref], fdm, i, ref, sid),
                      "death_date": read_date(rec.get("DTHDTC"), fdm, i, "DTHDTC", sid)})
    return validate_subjects(pd.DataFrame(srows, columns=["subject_id", "reference_date",
                                                          "death_date"]), file=fdm)


def studyid_of(frames: list[pd.DataFrame], notes: list[str]) -> str | None:
    vals: set[str] = set()
    for df in frames:
        if df is not None and "STUDYID" in df.columns:
            vals |= {v for v in df["STUDYID"].map(text) if v is not None}
    if len(vals) > 1:
        notes.append(f"several STUDYID values ({', '.join(sorted(vals))}); none taken from the "
                     "files (pass studyid / --studyid)")
    return vals.pop() if len(vals) == 1 else None


def visit_keys(recs: list[dict[str, Any]], repeated_scans: str, ftr: str, link_tr: str,
                test_col: str, vis_col: str) -> tuple[dict[int, tuple[float, str]], set[int]]:
    """Visit key (VISITNUM, "" or scan date) of each TR record, and rows of exact duplicates.

    One lesion measured twice (same TRTESTCD) under one VISITNUM on different dates is two scans:
    an error naming both rows, or (``repeated_scans="split"``) that VISITNUM of that subject is
    split into one time point per scan date. The same record twice (same date and result) is
    dropped once; two different results on one date are an error.
    """
    first: dict[tuple, dict[str, Any]] = {}
    split: set[tuple[str, float]] = set()
    dup_rows: set[int] = set()
    for rec in recs:
        key = (rec["_SID"], rec["_VNUM"], rec["_LINK"], rec["_TEST"])
        prev = first.setdefault(key, rec)
        if prev is rec:
            continue
        same_scan = (prev["_DATE"] == rec["_DATE"] if prev["_DATE"] or rec["_DATE"]
                     else prev["_OFFSET"] == rec["_OFFSET"])  # no dates: the study days
        if same_scan:
            same = all(text(prev.get(c)) == text(rec.get(c)) for c in
                       ("TRORRES", "TRSTRESC", "TRSTRESN", "TRSTRESU", "TRSTAT"))
            if not same:
                raise DataError(f"lesion {rec['_LINK']} of subject {rec['_SID']} has two "
                                f"different {rec['_TEST']} results at VISITNUM "
                                f"{rec['_VNUM']:g} on the same date (TR rows {prev['_ROW']} and "
                                f"{rec['_ROW']})", file=ftr, row=rec["_ROW"], column=test_col)
            dup_rows.add(rec["_ROW"])
            continue
        if repeated_scans != "split":
            def show(d):
                return "no date" if d is None else d
            raise DataError(
                f"two scans under one VISITNUM {rec['_VNUM']:g}: lesion {rec['_LINK']} of subject "
                f"{rec['_SID']} has {rec['_TEST']} on {show(prev['_DATE'])} (TR row "
                f"{prev['_ROW']}) and on {show(rec['_DATE'])} (TR row {rec['_ROW']}); correct "
                "VISITNUM, or keep them apart by date with repeated_scans='split' (CLI "
                "--repeated-scans split)", file=ftr, row=rec["_ROW"], column=vis_col)
        if prev["_DATE"] is None or rec["_DATE"] is None:
            raise DataError(f"VISITNUM {rec['_VNUM']:g} of subject {rec['_SID']} holds several "
                            "scans and this record has no TRDTC to tell them apart", file=ftr,
                            row=rec["_ROW"] if rec["_DATE"] is None else prev["_ROW"],
                            column="TRDTC")
        split.add((rec["_SID"], rec["_VNUM"]))
    keys = {}
    for rec in recs:
        s = (rec["_SID"], rec["_VNUM"]) in split
        if s and rec["_DATE"] is None:
            raise DataError(f"VISITNUM {rec['_VNUM']:g} of subject {rec['_SID']} holds several "
                            "scans and this record has no TRDTC to tell them apart", file=ftr,
                            row=rec["_ROW"], column="TRDTC")
        keys[rec["_ROW"]] = (rec["_VNUM"], rec["_DATE"] if s else "")
    return keys, dup_rows


def summarise_findings(findings: Findings, notes: list[str]) -> None:
    n_imp = findings.count("imputed_date")
    if n_imp:
        f = findings.first("imputed_date")
        notes.append(f"{n_imp} partial date(s) completed (see findings; first: {f[0]} row "
                     f"{f[1]}, {f[2]} {f[4]!r} -> {f[6]})")
    n_dy = findings.count("study_day_disagrees")
    if n_dy:
        f = findings.first("study_day_disagrees")
        notes.append(f"TR: study day TRDY disagrees with TRDTC - DM RFSTDTC on {n_dy} record(s); "
                     f"the dates are used (first: {f[0]} row {f[1]}: {f[6]})")
