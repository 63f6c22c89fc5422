"""CDISC bridges for RECIST 1.1: SDTM TU/TR (and DM) in, SDTM RS / ADaM ADRS / ADTTE out.

Sources: CDISC SDTMIG v3.3+ TU, TR, RS domains and the CDISC RECIST 1.1 oncology
supplement (controlled terms ``TUMIDENT``, ``LDIAM``, ``LPERP``, ``TUMSTATE``, ``OVRLRESP``...);
variable usage checked against the pharmaverse example data ``pharmaversesdtm::tu_onco_recist`` /
``tr_onco_recist`` and the admiralonco ADRS/ADTR templates (``aval_resp()`` coding CR=1, PR=2,
SD=3, NON-CR/NON-PD=4, PD=5, NE=6, MISSING=7). See docs/recist.md#r13 and docs/data-formats.md#sdtm.

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
TUEVAL / TREVAL                one reader (``evaluator=``, R0.1) and, with
 + TUEVALID / TREVALID         ``evaluator_id=``; several readers are never pooled
VISITNUM                       tp = rank of VISITNUM within the subject, lowest = 0 (baseline);
                               two scans of a lesion under one VISITNUM on different dates:
                               error, or one tp per date (``repeated_scans="split"``)
VISIT                          assessments.label
TRDTC (date part), TRDY        date; day = TRDY - 1 if TRDY >= 1 else TRDY (offset from
                               the reference date); partial dates completed from TRDY + DM
                               RFSTDTC, else first/last day of the month (``partial_dates``),
                               each one reported in ``findings``; TRDY vs TRDTC disagreement
                               reported in ``findings``
TRSTRESN                       float noise rounded to 0.01 mm; finer precision refused at
                               its TR row
STUDYID                        ``SdtmTables.studyid`` (used for RS/ADRS/ADTTE)
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
DM subjects without TU/TR      ``no_tumour_data``: reported as missing; left out of
                               ``subjects`` (default) or kept (BOR NE), see
                               ``subjects_without_tumour_data``
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
from typing import TYPE_CHECKING, Any, Literal

from ..errors import DataError
from ._cdisc_results import AVAL_RESP, to_adrs, to_adtte, to_rs
from ._sdtm_in import (
    FINDINGS_COLUMNS,
    DateReader,
    Findings,
    PartialDates,
    check_study_day,
    select_reader,
    size_mm,
    study_offset,
)
from ._sdtm_in import col as _col
from ._sdtm_in import dm_subjects as _dm_subjects
from ._sdtm_in import studyid_of as _studyid
from ._sdtm_in import summarise_findings as _summarise_findings
from ._sdtm_in import text as _text
from ._sdtm_in import upper_cols as _upper_cols
from ._sdtm_in import visit_keys as _visit_keys
from .lesions import (
    _METHOD_ALIASES,
    read_table,
    validate_assessments,
    validate_lesions,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["AVAL_RESP", "FINDINGS_COLUMNS", "SdtmTables", "from_sdtm", "read_sdtm", "to_adrs", "to_adtte", "to_rs"]

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
    """Canonical tables built from SDTM, with a log of every dropped or inferred record.

    ``findings``: one row per record-level finding (columns ``FINDINGS_COLUMNS``: file, row,
    column, subject_id, value, finding, detail), ``finding`` one of ``imputed_date`` (a partial
    date completed, how), ``study_day_disagrees`` (TRDY vs TRDTC - RFSTDTC).
    ``no_tumour_data``: DM subjects without any TU/TR record (reported, never evaluated as if
    measured). ``studyid``: the file's STUDYID (None when absent or ambiguous, see ``notes``).
    """

    lesions: pd.DataFrame
    assessments: pd.DataFrame
    subjects: pd.DataFrame | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    findings: pd.DataFrame | None = None
    no_tumour_data: tuple[str, ...] = field(default_factory=tuple)
    studyid: str | None = None


# --------------------------------------------------------------------------- helpers
def _method(v: Any) -> str | None:
    s = _text(v)
    if s is None:
        return None
    s = s.upper()
    return _EXTRA_METHODS.get(s, _METHOD_ALIASES.get(s))


def _subject_and_link(rec: dict[str, Any], sub_col: str, link_col: str,
                      file: str) -> tuple[str, str]:
    """A TU/TR record's USUBJID and lesion link id; DataError naming file, row and column when
    either is empty."""
    sid, link = _text(rec[sub_col]), _text(rec[link_col])
    if sid is None:
        raise DataError("empty USUBJID", file=file, row=rec["_ROW"], column=sub_col)
    if link is None:
        raise DataError("empty lesion link id", file=file, row=rec["_ROW"], column=link_col)
    return sid, link


def _tu_registry(tu: pd.DataFrame, ftu: str, evaluator: str | None, evaluator_id: str | None,
                 notes: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    """Lesion registry from TU: (USUBJID, link id) -> role, organ, nodal, method, visit."""
    sub_tu = _col(tu, ("USUBJID",), "TU", ftu)
    link_tu = _col(tu, ("TULNKID", "TULINKID"), "TU", ftu)
    tu = select_reader(tu, "TUEVAL", "TUEVALID", evaluator, evaluator_id, "TU", ftu, notes)
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
        sid, lid = _subject_and_link(rec, sub_tu, link_tu, ftu)
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
    src = "TRSTRESN"
    if _text(num) is None:
        src = "TRORRES"
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
        raise DataError(f"not a number ({num!r})", file=ftr, row=r, column=src) from None
    u = (unit or "mm").lower()
    if u == "cm":
        val *= 10.0
    elif u != "mm":
        raise DataError(f"unit {unit!r} not supported (mm or cm)", file=ftr, row=r,
                        column="TRSTRESU")
    cell[key] = size_mm(val, ftr, r, src)  # float noise rounded; finer precision refused


def _vtext(vkey: tuple[float, str]) -> str:
    """A visit key (VISITNUM, scan date when one VISITNUM holds several scans) as text."""
    vnum, d = vkey
    return f"{vnum:g}" + (f" (scan of {d})" if d else "")


def _assemble_rows(cells: dict, registry: dict, visits: dict, tp_of: dict, ftu: str,
                   ftr: str, link_tr: str, notes: list[str], read_date: DateReader
                   ) -> list[dict[str, Any]]:
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
                                f"VISITNUM {_vtext(vnum)}", file=ftr, row=cell["row"], column=link_tr)
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
                                    f"{_vtext(vnum)}", file=ftr, row=cell["row"], column=link_tr)
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
        vnum = None
        if info["role"] == "NEW" and info.get("visitnum") is not None:
            d = read_date(info["tudtc"], ftu, info["row"], "TUDTC", sid)
            vn = float(info["visitnum"])
            vnum = (vn, "") if (sid, (vn, "")) in tp_of else (
                vn, "" if d is pd.NaT else f"{d:%Y-%m-%d}")
        if vnum is not None and (sid, vnum) in tp_of:
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
              evaluator: str | None = None, evaluator_id: str | None = None,
              files: Mapping[str, str] | None = None, partial_dates: PartialDates = "first",
              repeated_scans: Literal["error", "split"] = "error",
              subjects_without_tumour_data: Literal["exclude", "include"] = "exclude"
              ) -> SdtmTables:
    """Convert SDTM TU + TR (+ optional DM) to the canonical RECIST tables.

    Parameters
    ----------
    tu, tr
        SDTM Tumor Identification and Tumor Results domains (any column case).
    dm
        Optional Demographics: ``RFSTDTC`` -> ``reference_date``, ``DTHDTC`` -> ``death_date``.
    evaluator, evaluator_id
        One reader: ``TUEVAL``/``TREVAL`` (e.g. ``"INVESTIGATOR"``, ``"INDEPENDENT ASSESSOR"``)
        and ``TUEVALID``/``TREVALID`` (e.g. ``"RADIOLOGIST 1"``). Required when the data hold
        several; records of different readers are never pooled.
    files
        Names used in error messages, keys ``"tu"``, ``"tr"``, ``"dm"``.
    partial_dates
        ``"first"`` (default) or ``"last"``: complete a partial date (``2014-01``, ``2014``)
        from the study day and DM RFSTDTC when both exist, else with the first / last day of
        the month (year) -- ADaM practice (:mod:`oncodyn.data._sdtm_in`); each completion is
        a row of ``findings``. ``"error"`` refuses partial dates.
    repeated_scans
        One lesion measured twice under one VISITNUM on different dates: ``"error"`` (default,
        names both rows) or ``"split"`` (one time point per scan date, reported in ``notes``).
    subjects_without_tumour_data
        DM subjects without any TU/TR record: ``"exclude"`` (default) leaves them out of
        ``subjects`` (so out of BOR/PFS denominators), ``"include"`` keeps them (BOR NE, PFS
        censored at the reference date); listed in ``no_tumour_data`` either way.

    Returns
    -------
    SdtmTables
        ``lesions`` (validated canonical table), ``assessments`` (one row per subject and
        visit: tp, date = latest scan date of the visit, day, label = VISIT, visitnum),
        ``subjects`` (from DM or None), ``notes`` (dropped/inferred records, counts),
        ``findings`` (record-level), ``no_tumour_data`` and ``studyid``.

    Raises
    ------
    DataError
        Naming the file (``files``), 1-based data row and SDTM variable.
    """
    import pandas as pd

    if repeated_scans not in ("error", "split"):
        raise DataError(f"repeated_scans must be 'error' or 'split' (got {repeated_scans!r})")
    if subjects_without_tumour_data not in ("exclude", "include"):
        raise DataError("subjects_without_tumour_data must be 'exclude' or 'include' (got "
                        f"{subjects_without_tumour_data!r})")
    files = dict(files or {})
    ftu, ftr, fdm = files.get("tu", "TU"), files.get("tr", "TR"), files.get("dm", "DM")
    notes: list[str] = []
    findings = Findings()
    tu = _upper_cols(tu, "TU", ftu)
    tr = _upper_cols(tr, "TR", ftr)
    tu["_ROW"] = range(1, len(tu) + 1)
    tr["_ROW"] = range(1, len(tr) + 1)
    studyid = _studyid([tr, tu], notes)

    # DM first: its reference dates complete partial TR dates from the study day
    refs: dict[str, Any] = {}
    subjects = None
    if dm is not None:
        subjects = _dm_subjects(dm, fdm, DateReader(partial_dates, {}, findings))
        refs = dict(zip(subjects["subject_id"].astype(str), subjects["reference_date"],
                        strict=True))
    read_date = DateReader(partial_dates, refs, findings)

    registry = _tu_registry(tu, ftu, evaluator, evaluator_id, notes)

    # ---- TR: results
    sub_tr = _col(tr, ("USUBJID",), "TR", ftr)
    link_tr = _col(tr, ("TRLNKID", "TRLINKID"), "TR", ftr)
    test_col = _col(tr, ("TRTESTCD",), "TR", ftr)
    vis_col = _col(tr, ("VISITNUM",), "TR", ftr)
    if "TRDTC" not in tr.columns and "TRDY" not in tr.columns:
        raise DataError("TR needs TRDTC or TRDY", file=ftr, column="TRDTC")
    tr = select_reader(tr, "TREVAL", "TREVALID", evaluator, evaluator_id, "TR", ftr, notes)
    tests = tr[test_col].map(_text).str.upper()
    used = tests.isin(_TESTS).to_numpy()
    if (~used).sum():
        counts = tests[~used].value_counts().to_dict()
        notes.append("TR: records not used by RECIST lesion evaluation dropped: "
                     + ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())))
    tr = tr.loc[used]

    recs = tr.to_dict("records")
    for rec in recs:  # parse keys, dates and study days once
        r = rec["_ROW"]
        sid, link = _subject_and_link(rec, sub_tr, link_tr, ftr)
        try:
            vnum = float(rec[vis_col])
        except (TypeError, ValueError):
            vnum = float("nan")
        if vnum != vnum:
            raise DataError(f"VISITNUM must be a number (got {rec[vis_col]!r})", file=ftr,
                            row=r, column=vis_col)
        day = study_offset(rec.get("TRDY"), ftr, r)
        date = read_date(rec.get("TRDTC"), ftr, r, "TRDTC", sid, day)
        if date is pd.NaT and day is None:
            raise DataError("record has neither TRDTC nor TRDY", file=ftr, row=r, column="TRDTC")
        check_study_day(date, day, refs.get(sid), findings, ftr, r, sid, rec.get("TRDTC"))
        rec.update(_SID=sid, _LINK=link, _VNUM=vnum, _OFFSET=day, _TS=date,
                   _DATE=None if date is pd.NaT else f"{date:%Y-%m-%d}",
                   _TEST=_text(rec[test_col]).upper())
    vkeys, dup_rows = _visit_keys(recs, repeated_scans, ftr, link_tr, test_col, vis_col)
    if dup_rows:
        notes.append(f"TR: {len(dup_rows)} exact duplicate record(s) ignored (rows "
                     f"{', '.join(map(str, sorted(dup_rows)[:10]))})")
    split = sorted({(rec["_SID"], vkeys[rec["_ROW"]]) for rec in recs
                    if vkeys[rec["_ROW"]][1]})
    if split:
        notes.append(f"TR: {len(split)} scan(s) under a VISITNUM holding several scans kept apart "
                     "by date (repeated_scans='split'): "
                     + "; ".join(f"{sid} VISITNUM {_vtext(k)}" for sid, k in split[:5]))

    cells: dict[tuple[str, tuple[float, str], str], dict[str, Any]] = {}
    visits: dict[tuple[str, tuple[float, str]], dict[str, Any]] = {}
    for rec in recs:
        r = rec["_ROW"]
        if r in dup_rows:
            continue
        sid, link, vkey = rec["_SID"], rec["_LINK"], vkeys[r]
        date, day, test = rec["_TS"], rec["_OFFSET"], rec["_TEST"]
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
                                    "visitnum": vkey[0]}
        label = _text(rec.get("VISIT"))
        if vkey[1] and label:
            label = f"{label} ({vkey[1]})"
        v = visits.setdefault((sid, vkey), {"dates": [], "day": None, "label": label})
        if date is not pd.NaT:
            v["dates"].append(date)
        if day is not None and v["day"] is None:
            v["day"] = day
        cell = cells.setdefault((sid, vkey, lid), {"row": r, "date": date, "day": day,
                                                   "merged": merged, "link": link})
        if cell["link"] != link:
            raise DataError(f"lesion {lid} has two results at VISITNUM {_vtext(vkey)} "
                            f"({cell['link']} and {link})", file=ftr, row=r, column=link_tr)
        if date is not pd.NaT and (cell["date"] is pd.NaT or date > cell["date"]):
            cell["date"] = date
        role = registry[(sid, lid)]["role"]
        nodal = registry[(sid, lid)]["nodal"]
        meth = _method(rec.get("TRMETHOD"))
        if meth:
            cell["method"] = meth
        _apply_result(rec, cell, test, role, nodal, ftr, r)

    # ---- assemble canonical rows
    tp_of: dict[tuple[str, tuple[float, str]], int] = {}
    by_subject: dict[str, list[tuple[float, str]]] = {}
    for sid, vkey in visits:
        by_subject.setdefault(sid, []).append(vkey)
    for sid, vs in by_subject.items():
        for i, vkey in enumerate(sorted(vs)):
            tp_of[(sid, vkey)] = i

    rows = _assemble_rows(cells, registry, visits, tp_of, ftu, ftr, link_tr, notes, read_date)
    if not rows:
        raise DataError("no usable TR record (LDIAM, LPERP, SAXIS, TUMSTATE)", file=ftr,
                        column=test_col)
    lesions = pd.DataFrame(rows).sort_values(["subject_id", "tp", "lesion_id"],
                                             kind="stable")
    lesions = validate_lesions(lesions, file=f"{ftr} (as canonical lesion table)")

    arow = []
    for (sid, vkey), v in visits.items():
        arow.append({"subject_id": sid, "tp": tp_of[(sid, vkey)],
                     "date": max(v["dates"]) if v["dates"] else None, "day": v["day"],
                     "performed": True, "label": v["label"], "visitnum": vkey[0]})
    assessments = validate_assessments(
        pd.DataFrame(arow).sort_values(["subject_id", "tp"], kind="stable"),
        file=f"{ftr} (as assessment table)")

    no_data: list[str] = []
    if subjects is not None:
        sub = "USUBJID"
        missing = sorted(set(lesions["subject_id"]) - set(subjects["subject_id"]))
        if missing:
            raise DataError(f"subjects with tumour data but no DM record: "
                            f"{', '.join(missing[:5])}", file=fdm, column=sub)
        no_data = sorted(set(subjects["subject_id"]) - set(lesions["subject_id"]))
        if no_data:
            counted = ("counted in denominators as NE (subjects_without_tumour_data='include')"
                       if subjects_without_tumour_data == "include" else
                       "not evaluated and not counted in denominators "
                       "(subjects_without_tumour_data='exclude')")
            notes.append(f"DM: {len(no_data)} subject(s) without any tumour record (TU/TR), "
                         f"reported as missing, {counted}: {', '.join(no_data[:10])}"
                         + (" ..." if len(no_data) > 10 else ""))
            if subjects_without_tumour_data == "exclude":
                subjects = subjects[~subjects["subject_id"].isin(no_data)].reset_index(drop=True)
    _summarise_findings(findings, notes)
    return SdtmTables(lesions.reset_index(drop=True), assessments.reset_index(drop=True),
                      subjects, tuple(notes), findings.frame(), tuple(no_data), studyid)


def _find(folder: Path, stem: str) -> Path | None:
    for suffix in (".csv", ".parquet", ".xpt"):
        for name in (stem, stem.upper()):
            p = folder / f"{name}{suffix}"
            if p.exists():
                return p
    return None


def read_sdtm(folder: str | os.PathLike, *, evaluator: str | None = None,
              **options: Any) -> SdtmTables:
    """Read ``tu``, ``tr`` and optional ``dm`` (``.csv``, ``.parquet`` or ``.xpt``) from a folder
    and convert them with :func:`from_sdtm` (``options``: its keyword options, e.g.
    ``evaluator_id``, ``partial_dates``, ``repeated_scans``, ``subjects_without_tumour_data``)."""
    folder = Path(folder)
    tu_p, tr_p, dm_p = _find(folder, "tu"), _find(folder, "tr"), _find(folder, "dm")
    for name, p in (("tu", tu_p), ("tr", tr_p)):
        if p is None:
            raise DataError(f"SDTM folder has no {name}.csv / {name}.parquet / {name}.xpt",
                            file=str(folder))
    return from_sdtm(read_table(tu_p), read_table(tr_p),
                     dm=read_table(dm_p) if dm_p else None, evaluator=evaluator,
                     files={"tu": str(tu_p), "tr": str(tr_p), "dm": str(dm_p)}, **options)


