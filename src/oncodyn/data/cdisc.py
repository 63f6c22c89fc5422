"""CDISC bridges for RECIST 1.1: SDTM TU/TR (and DM) in, SDTM RS / ADaM ADRS / ADTTE out.

Sources: CDISC SDTMIG v3.3+ TU, TR, RS domains and the CDISC RECIST 1.1 oncology
supplement (controlled terms ``TUMIDENT``, ``LDIAM``, ``LPERP``, ``TUMSTATE``, ``OVRLRESP``...);
variable usage checked against the pharmaverse example data ``pharmaversesdtm::tu_onco_recist`` /
``tr_onco_recist`` and the admiralonco ADRS/ADTR templates (``aval_resp()`` coding CR=1, PR=2,
SD=3, NON-CR/NON-PD=4, PD=5, NE=6, MISSING=7). See ``RECIST.md`` R13 and ``ECOSYSTEM.md`` §2.4.

SDTM TU/TR -> canonical lesion table (:mod:`oncodyn.data.lesions`)
====================================================================

=============================  ===========================================================
SDTM                           canonical
=============================  ===========================================================
USUBJID                        subject_id
TULNKID / TULINKID             lesion_id (TR joins on TRLNKID / TRLINKID)
TUORRES / TUSTRESC             role: TARGET, NON-TARGET, NEW (row TUTESTCD = TUMIDENT)
TULOC                          organ; ``nodal`` = TULOC mentions LYMPH NODE
TUMETHOD (or TRMETHOD)         method: CT SCAN -> CT, MRI, (CHEST) X-RAY -> CHEST_XRAY,
                               CALIPER; other methods (PET, BONE SCAN...) -> NA + note
TUEVAL / TREVAL                one evaluator stream (``evaluator=``, R0.1)
VISITNUM                       tp = rank of VISITNUM within the subject, lowest = 0 (baseline)
VISIT                          assessments.label
TRDTC (date part), TRDY        date; day = TRDY - 1 if TRDY >= 1 else TRDY (offset from
                               the reference date); partial dates are refused
TRTESTCD LDIAM                 ld_mm  (TRSTRESN, TRSTRESU mm; cm x 10)
TRTESTCD LPERP / SAXIS         sa_mm  (short axis of nodes)
TRTESTCD TUMSTATE              state: PRESENT, ABSENT, UNEQUIVOCAL (non-target ->
                               UNEQUIVOCAL_PROGRESSION; new -> UNEQUIVOCAL), EQUIVOCAL,
                               NOT EVALUABLE / NOT ASSESSED -> NOT_EVALUATED,
                               TOO SMALL TO MEASURE, FURTHER INCREASE; a NEW lesion PRESENT ->
                               UNEQUIVOCAL; a non-nodal TARGET ABSENT -> ld_mm = 0
TRORRES text on LDIAM/LPERP    TOO SMALL TO MEASURE -> TOO_SMALL_TO_MEASURE;
 or TRSTAT = NOT DONE          NOT EVALUABLE / NE / NOT DONE -> NOT_EVALUATED
TRLNKID ``T01.1``, ``T01.2``   split fragments: parent_lesion_id = T01, parent state SPLIT
TRLNKID ``T02/T03``            merged lesions: the value goes to T02, T03 gets COALESCED into T02
DM RFSTDTC, DTHDTC             subjects.reference_date, subjects.death_date
other TRTESTCD (SUMDIAM...)    dropped, counted in ``notes``
=============================  ===========================================================

RECIST results -> SDTM RS (one row per subject x post-baseline time point x test)
===================================================================================

=========  ==========================  ===================================================
RSTESTCD   RSTEST                      RSORRES / RSSTRESC from
=========  ==========================  ===================================================
TRGRESP    Target Response             timepoints.target (row omitted when NA: no targets)
NTRGRESP   Non-target Response         timepoints.non_target (omitted when NA)
NEWLPROG   New Lesion Progression      timepoints.new_lesions: YES -> Y, NO -> N,
                                       EQUIVOCAL, NE
OVRLRESP   Overall Response            timepoints.overall
BESTRSP    Best Overall Response       best_response.bor (one row per subject, RSDTC =
                                       bor_date)
=========  ==========================  ===================================================

ADaM ADRS (BDS): PARAMCD ``OVR`` (per visit), ``BOR``, ``CBOR`` (given a confirmed result),
``RSP``/``CRSP`` (responder Y/N), ``PD`` (first overall PD, Y/N); AVALC, AVAL (admiralonco
coding), ADT, ADY (ADT - reference + 1 on/after the reference date, ADT - reference before),
AVISIT, AVISITN, PARCAT1-3, ANL01FL. ADTTE: PARAMCD ``PFS`` one row per subject (STARTDT,
ADT, AVAL days, CNSR 0 = event / 1 = censored, EVNTDESC) and ``DURRSP`` for responders.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DataError
from ._cdisc_results import AVAL_RESP, to_adrs, to_adtte, to_rs
from .lesions import (
    _METHOD_ALIASES,
    read_table,
    validate_assessments,
    validate_lesions,
    validate_subjects,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["AVAL_RESP", "SdtmTables", "from_sdtm", "read_sdtm", "to_adrs", "to_adtte", "to_rs"]

_NODAL = re.compile(r"LYMPH\s*NODE|\bNODE\b|\bNODAL\b", re.IGNORECASE)
_EXTRA_METHODS = {"CT SCAN": "CT", "X-RAY": "CHEST_XRAY", "PHYSICAL EXAMINATION": "CALIPER",
                  "PHOTOGRAPHY": "CALIPER", "CALIPER MEASUREMENT": "CALIPER"}
_TUMSTATE = {
    "PRESENT": "PRESENT", "ABSENT": "ABSENT", "UNEQUIVOCAL": "UNEQUIVOCAL",
    "UNEQUIVOCAL PROGRESSION": "UNEQUIVOCAL_PROGRESSION", "EQUIVOCAL": "EQUIVOCAL",
    "NOT EVALUABLE": "NOT_EVALUATED", "NOT ASSESSABLE": "NOT_EVALUATED",
    "NOT ASSESSED": "NOT_EVALUATED", "NE": "NOT_EVALUATED", "NOT DONE": "NOT_EVALUATED",
    "TOO SMALL TO MEASURE": "TOO_SMALL_TO_MEASURE", "FURTHER INCREASE": "FURTHER_INCREASE",
    "SPLIT": "SPLIT", "COALESCED": "COALESCED", "MERGED": "COALESCED",
}
_MEAS_TEXT = {"TOO SMALL TO MEASURE": "TOO_SMALL_TO_MEASURE", "TSTM": "TOO_SMALL_TO_MEASURE",
              "NOT EVALUABLE": "NOT_EVALUATED", "NOT ASSESSABLE": "NOT_EVALUATED",
              "NE": "NOT_EVALUATED", "NOT DONE": "NOT_EVALUATED",
              "NOT ASSESSED": "NOT_EVALUATED"}
_TESTS = ("LDIAM", "LPERP", "SAXIS", "TUMSTATE")


@dataclass(frozen=True)
class SdtmTables:
    """Canonical tables built from SDTM, with a log of every dropped or inferred record."""

    lesions: pd.DataFrame
    assessments: pd.DataFrame
    subjects: pd.DataFrame | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- helpers
def _upper_cols(df: pd.DataFrame, what: str, file: str | None) -> pd.DataFrame:
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


def _col(df: pd.DataFrame, names: tuple[str, ...], what: str, file: str | None,
         required: bool = True) -> str | None:
    for n in names:
        if n in df.columns:
            return n
    if required:
        raise DataError(f"{what} lacks required variable (columns present: "
                        f"{', '.join(df.columns)})", file=file, column=names[0])
    return None


def _text(v: Any) -> str | None:
    import pandas as pd

    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    s = str(v).strip()
    if s.endswith(".0") and s[:-2].lstrip("-").isdigit():
        s = s[:-2]
    return s or None


def _iso_date(v: Any, file: str | None, row: int, column: str):
    import pandas as pd

    s = _text(v)
    if s is None:
        return pd.NaT
    if not re.match(r"^\d{4}-\d{2}-\d{2}", s):
        raise DataError(f"not a complete ISO 8601 date (got {s!r}); impute partial dates "
                        "upstream", file=file, row=row, column=column)
    try:
        return pd.Timestamp(s[:10])
    except ValueError:
        raise DataError(f"invalid date {s!r}", file=file, row=row, column=column) from None


def _offset(v: Any, file: str | None, row: int) -> int | None:
    """SDTM study day (no day 0; day 1 = reference date) -> day offset (0 = reference date)."""
    s = _text(v)
    if s is None:
        return None
    try:
        d = float(s)
    except ValueError:
        d = float("nan")
    if d != d or d != int(d) or d == 0:
        raise DataError(f"study day must be a non-zero integer (got {s!r})", file=file, row=row,
                        column="TRDY")
    return int(d) - 1 if d > 0 else int(d)


def _filter_evaluator(df: pd.DataFrame, col: str, evaluator: str | None, what: str,
                      file: str | None, notes: list[str]) -> pd.DataFrame:
    if col not in df.columns:
        return df
    vals = df[col].map(_text).str.upper()
    distinct = sorted({v for v in vals.dropna()})
    if evaluator is None:
        if len(distinct) > 1:
            raise DataError(f"several evaluators in {what} ({', '.join(distinct)}); choose one "
                            "(RECIST evaluates one stream at a time)", file=file, column=col)
        return df
    keep = (vals == evaluator.upper()).to_numpy()
    if not keep.any():
        raise DataError(f"no {what} record with {col} = {evaluator!r} (present: "
                        f"{', '.join(distinct)})", file=file, column=col)
    if (~keep).sum():
        notes.append(f"{what}: {(~keep).sum()} record(s) of other evaluators dropped "
                     f"({col} != {evaluator})")
    return df.loc[keep]


def _method(v: Any) -> str | None:
    s = _text(v)
    if s is None:
        return None
    s = s.upper()
    return _EXTRA_METHODS.get(s, _METHOD_ALIASES.get(s))


def _tu_registry(tu: pd.DataFrame, ftu: str, evaluator: str | None, notes: list[str]
                 ) -> dict[tuple[str, str], dict[str, Any]]:
    """Lesion registry from TU: (USUBJID, link id) -> role, organ, nodal, method, visit."""
    sub_tu = _col(tu, ("USUBJID",), "TU", ftu)
    link_tu = _col(tu, ("TULNKID", "TULINKID"), "TU", ftu)
    tu = _filter_evaluator(tu, "TUEVAL", evaluator, "TU", ftu, notes)
    if "TUTESTCD" in tu.columns:
        ident = tu["TUTESTCD"].map(_text).str.upper().isin(["TUMIDENT", "TUSPLIT", "TUMERGE"])
        if (~ident).sum():
            notes.append(f"TU: {(~ident).sum()} record(s) with TUTESTCD other than TUMIDENT "
                         "ignored")
        tu = tu.loc[ident.to_numpy()]
    role_col = _col(tu, ("TUSTRESC", "TUORRES"), "TU", ftu)
    registry: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in tu.to_dict("records"):
        r = rec["_ROW"]
        sid, lid = _text(rec[sub_tu]), _text(rec[link_tu])
        if sid is None:
            raise DataError("empty USUBJID", file=ftu, row=r, column=sub_tu)
        if lid is None:
            raise DataError("empty lesion link id", file=ftu, row=r, column=link_tu)
        role = (_text(rec[role_col]) or "").upper().replace("NONTARGET", "NON-TARGET")
        if role not in ("TARGET", "NON-TARGET", "NEW"):
            raise DataError(f"unknown lesion role {rec[role_col]!r}; expected TARGET, "
                            "NON-TARGET or NEW", file=ftu, row=r, column=role_col)
        if (sid, lid) in registry:
            raise DataError(f"lesion {lid} of subject {sid} identified twice", file=ftu, row=r,
                            column=link_tu)
        loc = _text(rec.get("TULOC"))
        meth_raw = rec.get("TUMETHOD")
        meth = _method(meth_raw)
        if meth is None and _text(meth_raw) is not None:
            notes.append(f"TU row {r}: method {_text(meth_raw)!r} is not a RECIST measurement "
                         "method; method left empty")
        registry[(sid, lid)] = {
            "role": role, "organ": loc.lower() if loc else None,
            "nodal": bool(loc and _NODAL.search(loc)), "method": meth,
            "visitnum": rec.get("VISITNUM"), "tudtc": rec.get("TUDTC"), "row": r,
        }
    return registry


def _apply_result(rec: dict[str, Any], cell: dict[str, Any], test: str, role: str,
                  nodal: bool, ftr: str, r: int) -> None:
    """Store one TR record (TUMSTATE or a diameter) in the lesion-visit ``cell``."""
    stat = (_text(rec.get("TRSTAT")) or "").upper()
    if test == "TUMSTATE":
        raw = (_text(rec.get("TRSTRESC")) or _text(rec.get("TRORRES")) or stat or "")
        state = _TUMSTATE.get(raw.upper())
        if state is None:
            raise DataError(f"unknown TUMSTATE result {raw!r}; expected one of "
                            f"{', '.join(sorted(_TUMSTATE))}", file=ftr, row=r,
                            column="TRSTRESC" if "TRSTRESC" in rec else "TRORRES")
        if state == "UNEQUIVOCAL" and role == "NON-TARGET":
            state = "UNEQUIVOCAL_PROGRESSION"
        if role == "NEW" and state == "PRESENT":
            state = "UNEQUIVOCAL"
        if role == "TARGET" and state == "ABSENT":
            state = None
            cell.setdefault("sa_mm" if nodal else "ld_mm", 0.0)
        if role == "TARGET" and state == "PRESENT":
            state = None  # a present target is described by its measurement
        if state is not None:
            cell["state"] = state
        return
    # measurement tests
    key = "ld_mm" if test == "LDIAM" else "sa_mm"
    num = rec.get("TRSTRESN")
    unit = _text(rec.get("TRSTRESU"))
    if _text(num) is None:
        txt = _text(rec.get("TRORRES"))
        try:
            num = float(txt) if txt is not None else None
            unit = _text(rec.get("TRORRESU")) or unit
        except ValueError:
            num = None
            state = _MEAS_TEXT.get(txt.upper())
            if state is None:
                raise DataError(f"result {txt!r} is neither a number nor a known status "
                                f"({', '.join(sorted(_MEAS_TEXT))})", file=ftr, row=r,
                                column="TRORRES") from None
            cell["state"] = state
        if num is None and "state" not in cell:
            if stat == "NOT DONE" or _text(rec.get("TRREASND")):
                cell["state"] = "NOT_EVALUATED"
            else:
                raise DataError("measurement without a value or a status (TRSTAT)",
                                file=ftr, row=r, column="TRSTRESN")
        if num is None:
            return
    try:
        val = float(num)
    except (TypeError, ValueError):
        raise DataError(f"not a number ({num!r})", file=ftr, row=r,
                        column="TRSTRESN") from None
    u = (unit or "mm").lower()
    if u == "cm":
        val *= 10.0
    elif u != "mm":
        raise DataError(f"unit {unit!r} not supported (mm or cm)", file=ftr, row=r,
                        column="TRSTRESU")
    cell[key] = val


def _assemble_rows(cells: dict, registry: dict, visits: dict, tp_of: dict, ftu: str,
                   ftr: str, link_tr: str, notes: list[str]) -> list[dict[str, Any]]:
    """Canonical rows from the lesion-visit cells: merged partners become COALESCED,
    parents of split fragments SPLIT, TU lesions without TR records are reported."""
    import pandas as pd

    rows: list[dict[str, Any]] = []
    present = set()
    for (sid, vnum, lid), cell in cells.items():
        info = registry[(sid, lid)]
        row = {"subject_id": sid, "tp": tp_of[(sid, vnum)], "date": cell["date"],
               "day": cell["day"], "lesion_id": lid, "role": info["role"],
               "organ": info["organ"], "nodal": info["nodal"],
               "method": cell.get("method", info["method"]), "ld_mm": cell.get("ld_mm"),
               "sa_mm": cell.get("sa_mm"), "state": cell.get("state"), "into": None,
               "parent_lesion_id": info.get("parent")}
        rows.append(row)
        present.add((sid, vnum, lid))
        for other in cell["merged"] or []:
            if (sid, vnum, other) in cells:
                raise DataError(f"lesion {other} is both measured and merged into {lid} at "
                                f"VISITNUM {vnum:g}", file=ftr, row=cell["row"], column=link_tr)
            rows.append({**row, "lesion_id": other, "role": registry[(sid, other)]["role"],
                         "organ": registry[(sid, other)]["organ"],
                         "nodal": registry[(sid, other)]["nodal"], "ld_mm": None,
                         "sa_mm": None, "state": "COALESCED", "into": lid,
                         "parent_lesion_id": None})
            present.add((sid, vnum, other))
    # parents of split fragments get state SPLIT at the visits where fragments exist
    for (sid, vnum, lid), cell in list(cells.items()):
        parent = registry[(sid, lid)].get("parent")
        if parent is None or (sid, vnum, parent) in present:
            if parent is not None:
                prow = next(x for x in rows if x["subject_id"] == sid and x["lesion_id"] == parent
                            and x["tp"] == tp_of[(sid, vnum)])
                if prow["ld_mm"] is not None or prow["sa_mm"] is not None:
                    raise DataError(f"lesion {parent} is both measured and split at VISITNUM "
                                    f"{vnum:g}", file=ftr, row=cell["row"], column=link_tr)
                prow["state"] = "SPLIT"
            continue
        info = registry[(sid, parent)]
        rows.append({"subject_id": sid, "tp": tp_of[(sid, vnum)], "date": cell["date"],
                     "day": cell["day"], "lesion_id": parent, "role": info["role"],
                     "organ": info["organ"], "nodal": info["nodal"], "method": info["method"],
                     "ld_mm": None, "sa_mm": None, "state": "SPLIT", "into": None,
                     "parent_lesion_id": None})
        present.add((sid, vnum, parent))
    # TU lesions without any TR record
    seen = {(k[0], k[2]) for k in present}
    for (sid, lid), info in registry.items():
        if (sid, lid) in seen:
            continue
        if info["role"] == "NEW" and info.get("visitnum") is not None \
                and (sid, float(info["visitnum"])) in tp_of:
            vnum = float(info["visitnum"])
            d = _iso_date(info["tudtc"], ftu, info["row"], "TUDTC")
            v = visits[(sid, vnum)]
            rows.append({"subject_id": sid, "tp": tp_of[(sid, vnum)],
                         "date": d if d is not pd.NaT else max(v["dates"], default=pd.NaT),
                         "day": v["day"], "lesion_id": lid, "role": "NEW",
                         "organ": info["organ"], "nodal": info["nodal"],
                         "method": info["method"], "ld_mm": None, "sa_mm": None,
                         "state": "UNEQUIVOCAL", "into": None, "parent_lesion_id": None})
            notes.append(f"TU row {info['row']}: new lesion {lid} of {sid} has no TR record; "
                         "recorded as UNEQUIVOCAL at its TU visit")
        else:
            notes.append(f"TU row {info['row']}: lesion {lid} of {sid} has no TR record "
                         "(missing = NOT_EVALUATED, R5.1)")
    return rows


# --------------------------------------------------------------------------- SDTM in
def from_sdtm(tu: pd.DataFrame, tr: pd.DataFrame, *, dm: pd.DataFrame | None = None,
              evaluator: str | None = None, files: Mapping[str, str] | None = None
              ) -> SdtmTables:
    """Convert SDTM TU + TR (+ optional DM) to the canonical RECIST tables.

    Parameters
    ----------
    tu, tr
        SDTM Tumor Identification and Tumor Results domains (any column case).
    dm
        Optional Demographics: ``RFSTDTC`` -> ``reference_date``, ``DTHDTC`` -> ``death_date``.
    evaluator
        Value of ``TUEVAL``/``TREVAL`` to keep (e.g. ``"INVESTIGATOR"``); required when the
        data hold several evaluators.
    files
        Names used in error messages, keys ``"tu"``, ``"tr"``, ``"dm"``.

    Returns
    -------
    SdtmTables
        ``lesions`` (validated canonical table), ``assessments`` (one row per subject and
        visit: tp, date = latest scan date of the visit, day, label = VISIT, visitnum),
        ``subjects`` (from DM or None) and ``notes`` (dropped/inferred records).

    Raises
    ------
    DataError
        Naming the file (``files``), 1-based data row and SDTM variable.
    """
    import pandas as pd

    files = dict(files or {})
    ftu, ftr, fdm = files.get("tu", "TU"), files.get("tr", "TR"), files.get("dm", "DM")
    notes: list[str] = []
    tu = _upper_cols(tu, "TU", ftu)
    tr = _upper_cols(tr, "TR", ftr)
    tu["_ROW"] = range(1, len(tu) + 1)
    tr["_ROW"] = range(1, len(tr) + 1)

    registry = _tu_registry(tu, ftu, evaluator, notes)

    # ---- TR: results
    sub_tr = _col(tr, ("USUBJID",), "TR", ftr)
    link_tr = _col(tr, ("TRLNKID", "TRLINKID"), "TR", ftr)
    test_col = _col(tr, ("TRTESTCD",), "TR", ftr)
    vis_col = _col(tr, ("VISITNUM",), "TR", ftr)
    if "TRDTC" not in tr.columns and "TRDY" not in tr.columns:
        raise DataError("TR needs TRDTC or TRDY", file=ftr, column="TRDTC")
    tr = _filter_evaluator(tr, "TREVAL", evaluator, "TR", ftr, notes)
    tests = tr[test_col].map(_text).str.upper()
    used = tests.isin(_TESTS).to_numpy()
    if (~used).sum():
        counts = tests[~used].value_counts().to_dict()
        notes.append("TR: records not used by RECIST lesion evaluation dropped: "
                     + ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())))
    tr = tr.loc[used]

    cells: dict[tuple[str, float, str], dict[str, Any]] = {}
    visits: dict[tuple[str, float], dict[str, Any]] = {}
    for rec in tr.to_dict("records"):
        r = rec["_ROW"]
        sid, link = _text(rec[sub_tr]), _text(rec[link_tr])
        if sid is None:
            raise DataError("empty USUBJID", file=ftr, row=r, column=sub_tr)
        if link is None:
            raise DataError("empty lesion link id", file=ftr, row=r, column=link_tr)
        try:
            vnum = float(rec[vis_col])
        except (TypeError, ValueError):
            vnum = float("nan")
        if vnum != vnum:
            raise DataError(f"VISITNUM must be a number (got {rec[vis_col]!r})", file=ftr,
                            row=r, column=vis_col)
        date = _iso_date(rec.get("TRDTC"), ftr, r, "TRDTC")
        day = _offset(rec.get("TRDY"), ftr, r)
        if date is pd.NaT and day is None:
            raise DataError("record has neither TRDTC nor TRDY", file=ftr, row=r, column="TRDTC")
        test = _text(rec[test_col]).upper()
        # resolve the link: known lesion, split fragment "T01.1", merged "T02/T03"
        parent = merged = None
        if (sid, link) in registry:
            lid = link
        elif "." in link and (sid, link.rsplit(".", 1)[0]) in registry:
            lid, parent = link, link.rsplit(".", 1)[0]
        elif "/" in link and all((sid, p) in registry for p in link.split("/")):
            parts = link.split("/")
            lid, merged = parts[0], parts[1:]
        else:
            raise DataError(f"lesion link {link!r} of subject {sid} is not in TU", file=ftr,
                            row=r, column=link_tr)
        if parent is not None and (sid, lid) not in registry:
            registry[(sid, lid)] = {**registry[(sid, parent)], "parent": parent,
                                    "visitnum": vnum}
        v = visits.setdefault((sid, vnum), {"dates": [], "day": None,
                                            "label": _text(rec.get("VISIT"))})
        if date is not pd.NaT:
            v["dates"].append(date)
        if day is not None and v["day"] is None:
            v["day"] = day
        cell = cells.setdefault((sid, vnum, lid), {"row": r, "date": date, "day": day,
                                                   "merged": merged, "link": link})
        if cell["link"] != link:
            raise DataError(f"lesion {lid} has two results at VISITNUM {vnum:g} ({cell['link']}"
                            f" and {link})", file=ftr, row=r, column=link_tr)
        if date is not pd.NaT and (cell["date"] is pd.NaT or date > cell["date"]):
            cell["date"] = date
        role = registry[(sid, lid)]["role"]
        nodal = registry[(sid, lid)]["nodal"]
        meth = _method(rec.get("TRMETHOD"))
        if meth:
            cell["method"] = meth
        _apply_result(rec, cell, test, role, nodal, ftr, r)

    # ---- assemble canonical rows
    tp_of: dict[tuple[str, float], int] = {}
    by_subject: dict[str, list[float]] = {}
    for sid, vnum in visits:
        by_subject.setdefault(sid, []).append(vnum)
    for sid, vs in by_subject.items():
        for i, vnum in enumerate(sorted(vs)):
            tp_of[(sid, vnum)] = i

    rows = _assemble_rows(cells, registry, visits, tp_of, ftu, ftr, link_tr, notes)
    if not rows:
        raise DataError("no usable TR record (LDIAM, LPERP, SAXIS, TUMSTATE)", file=ftr,
                        column=test_col)
    lesions = pd.DataFrame(rows).sort_values(["subject_id", "tp", "lesion_id"],
                                             kind="stable")
    lesions = validate_lesions(lesions, file=f"{ftr} (as canonical lesion table)")

    arow = []
    for (sid, vnum), v in visits.items():
        arow.append({"subject_id": sid, "tp": tp_of[(sid, vnum)],
                     "date": max(v["dates"]) if v["dates"] else None, "day": v["day"],
                     "performed": True, "label": v["label"], "visitnum": vnum})
    assessments = validate_assessments(
        pd.DataFrame(arow).sort_values(["subject_id", "tp"], kind="stable"),
        file=f"{ftr} (as assessment table)")

    subjects = None
    if dm is not None:
        dm = _upper_cols(dm, "DM", fdm)
        sub = _col(dm, ("USUBJID",), "DM", fdm)
        ref = _col(dm, ("RFSTDTC", "RFXSTDTC", "RANDDT"), "DM", fdm)
        srows = []
        for i, rec in enumerate(dm.to_dict("records"), start=1):
            srows.append({"subject_id": _text(rec[sub]),
                          "reference_date": _iso_date(rec[ref], fdm, i, ref),
                          "death_date": _iso_date(rec.get("DTHDTC"), fdm, i, "DTHDTC")})
        subjects = validate_subjects(pd.DataFrame(srows), file=fdm)
        missing = sorted(set(lesions["subject_id"]) - set(subjects["subject_id"]))
        if missing:
            raise DataError(f"subjects with tumour data but no DM record: "
                            f"{', '.join(missing[:5])}", file=fdm, column=sub)
    return SdtmTables(lesions.reset_index(drop=True), assessments.reset_index(drop=True),
                      subjects, tuple(notes))


def _find(folder: Path, stem: str) -> Path | None:
    for suffix in (".csv", ".parquet", ".xpt"):
        for name in (stem, stem.upper()):
            p = folder / f"{name}{suffix}"
            if p.exists():
                return p
    return None


def read_sdtm(folder: str | os.PathLike, *, evaluator: str | None = None) -> SdtmTables:
    """Read ``tu``, ``tr`` and optional ``dm`` (``.csv``, ``.parquet`` or ``.xpt``) from a folder
    and convert them with :func:`from_sdtm`."""
    folder = Path(folder)
    tu_p, tr_p, dm_p = _find(folder, "tu"), _find(folder, "tr"), _find(folder, "dm")
    for name, p in (("tu", tu_p), ("tr", tr_p)):
        if p is None:
            raise DataError(f"SDTM folder has no {name}.csv / {name}.parquet / {name}.xpt",
                            file=str(folder))
    return from_sdtm(read_table(tu_p), read_table(tr_p),
                     dm=read_table(dm_p) if dm_p else None, evaluator=evaluator,
                     files={"tu": str(tu_p), "tr": str(tr_p), "dm": str(dm_p)})


