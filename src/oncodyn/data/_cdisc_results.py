"""Writers of RECIST results as CDISC-style tables (SDTM RS, ADaM ADRS, ADTTE).

Private module behind :mod:`oncodyn.data.cdisc` (public names are re-exported there; the
variable mapping is documented in that module's docstring). Sources: CDISC SDTMIG v3.3+ RS
domain, ADaM BDS / ADTTE, admiralonco ``aval_resp()`` coding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["AVAL_RESP", "to_adrs", "to_adtte", "to_rs"]

#: admiralonco ``aval_resp()`` numeric coding of response categories.
AVAL_RESP: dict[str, int] = {"CR": 1, "PR": 2, "SD": 3, "NON-CR/NON-PD": 4, "PD": 5, "NE": 6,
                             "MISSING": 7}


def _study_day_from_offset(offset: Any) -> Any:
    """Day offset (0 = reference date) -> SDTM study day (day 1 = reference date, no day 0)."""
    import pandas as pd

    if offset is None or pd.isna(offset):
        return pd.NA
    o = int(offset)
    return o + 1 if o >= 0 else o


def _frame(result: Any, name: str) -> pd.DataFrame:
    if isinstance(result, Mapping):
        return result[name]
    return getattr(result, name)


def _visit_lookup(assessments: pd.DataFrame | None) -> dict[tuple[str, int], tuple[Any, Any]]:
    if assessments is None:
        return {}
    out = {}
    for rec in assessments.to_dict("records"):
        out[(str(rec["subject_id"]), int(rec["tp"]))] = (rec.get("visitnum"), rec.get("label"))
    return out


def _study_day(date, ref) -> Any:
    import pandas as pd

    if date is None or ref is None or pd.isna(date) or pd.isna(ref):
        return pd.NA
    d = (pd.Timestamp(date).normalize() - pd.Timestamp(ref).normalize()).days
    return d + 1 if d >= 0 else d


def _refs(subjects: pd.DataFrame | None) -> dict[str, Any]:
    if subjects is None or "reference_date" not in subjects.columns:
        return {}
    return dict(zip(subjects["subject_id"].astype(str), subjects["reference_date"],
                    strict=True))


def _iso(d) -> Any:
    import pandas as pd

    return None if d is None or pd.isna(d) else pd.Timestamp(d).strftime("%Y-%m-%d")


def _visit(vis, sid, tp):
    import pandas as pd

    num, label = vis.get((sid, int(tp)), (None, None))
    if num is None or pd.isna(num):
        num = tp
    num = int(num) if float(num) == int(float(num)) else float(num)
    return num, label if label is not None and not pd.isna(label) else f"TP {int(tp)}"


def to_rs(result: Any, *, studyid: str = "STUDY", assessments: pd.DataFrame | None = None,
          subjects: pd.DataFrame | None = None, evaluator: str = "INVESTIGATOR",
          criteria: str = "RECIST 1.1") -> pd.DataFrame:
    """SDTM RS (Disease Response) records from a RECIST result (mapping in the module doc).

    Parameters
    ----------
    result
        ``RecistResult`` or a mapping with ``timepoints`` and ``best_response`` frames.
    assessments
        Optional table with ``visitnum``/``label`` per (subject_id, tp) for VISITNUM/VISIT
        (as returned by :func:`from_sdtm`); otherwise VISITNUM = tp, VISIT = ``"TP <tp>"``.
    subjects
        Optional table with ``reference_date`` for RSDY; else the time point's ``day``.
    """
    import pandas as pd

    tps = _frame(result, "timepoints")
    bor = _frame(result, "best_response")
    vis, refs = _visit_lookup(assessments), _refs(subjects)
    tests = (("TRGRESP", "Target Response", "target"),
             ("NTRGRESP", "Non-target Response", "non_target"),
             ("NEWLPROG", "New Lesion Progression", "new_lesions"),
             ("OVRLRESP", "Overall Response", "overall"))
    newl = {"YES": "Y", "NO": "N"}
    rows = []
    for rec in tps.sort_values(["subject_id", "tp"]).to_dict("records"):
        if int(rec["tp"]) == 0:
            continue
        sid = str(rec["subject_id"])
        num, label = _visit(vis, sid, rec["tp"])
        day = (_study_day(rec.get("date"), refs.get(sid)) if sid in refs
               else _study_day_from_offset(rec.get("day")))
        for cd, name, col in tests:
            val = rec.get(col)
            if val is None or pd.isna(val) or val == "NA":
                continue
            val = newl.get(val, val) if cd == "NEWLPROG" else val
            rows.append({"USUBJID": sid, "RSTESTCD": cd, "RSTEST": name, "RSORRES": val,
                         "RSSTRESC": val, "VISITNUM": num, "VISIT": label,
                         "RSDTC": _iso(rec.get("date")), "RSDY": day})
    for rec in bor.sort_values("subject_id").to_dict("records"):
        sid = str(rec["subject_id"])
        d = rec.get("bor_date")
        rows.append({"USUBJID": sid, "RSTESTCD": "BESTRSP", "RSTEST": "Best Overall Response",
                     "RSORRES": rec["bor"], "RSSTRESC": rec["bor"], "VISITNUM": pd.NA,
                     "VISIT": None, "RSDTC": _iso(d),
                     "RSDY": _study_day(d, refs.get(sid)) if sid in refs else pd.NA})
    out = pd.DataFrame(rows, columns=["USUBJID", "RSTESTCD", "RSTEST", "RSORRES", "RSSTRESC",
                                      "VISITNUM", "VISIT", "RSDTC", "RSDY"])
    out.insert(0, "DOMAIN", "RS")
    out.insert(0, "STUDYID", studyid)
    out.insert(3, "RSSEQ", out.groupby("USUBJID").cumcount() + 1)
    out.insert(6, "RSCAT", criteria)
    out["RSEVAL"] = evaluator
    return out


def to_adrs(result: Any, *, studyid: str = "STUDY", subjects: pd.DataFrame | None = None,
            assessments: pd.DataFrame | None = None, confirmed: Any = None,
            evaluator: str = "Investigator", criteria: str = "RECIST 1.1") -> pd.DataFrame:
    """ADaM ADRS-style table: OVR per visit, BOR, RSP, PD and, given ``confirmed``, CBOR/CRSP.

    Parameters
    ----------
    result
        RECIST result evaluated with the study's options (its BOR is reported as ``BOR``).
    confirmed
        Optional second result evaluated with ``confirmation_required = True`` (R8.3): gives
        ``CBOR`` and ``CRSP``.
    subjects
        Optional ``reference_date`` per subject for ADY; else the time point's ``day``.

    Notes
    -----
    ``ANL01FL = "Y"`` marks OVR records inside the evaluation window (timepoints column
    ``in_bor_window``: up to the first PD, none after new anti-cancer therapy, R8.1); ``PD`` is
    the first overall PD (or iCPD) inside that window. iRECIST codes have no AVAL (admiralonco
    codes RECIST 1.1 categories only).
    """
    import pandas as pd

    tps = _frame(result, "timepoints").sort_values(["subject_id", "tp"], kind="stable")
    vis, refs = _visit_lookup(assessments), _refs(subjects)
    rows = []

    def add(sid, cd, name, avalc, aval, adt, tp=None, day=None, anl="Y"):
        num, label = _visit(vis, sid, tp) if tp is not None else (pd.NA, None)
        ady = (_study_day(adt, refs[sid]) if sid in refs
               else _study_day_from_offset(day))
        rows.append({"USUBJID": sid, "PARAMCD": cd, "PARAM": name, "AVALC": avalc,
                     "AVAL": aval, "ADT": _iso(adt), "ADY": ady, "AVISITN": num,
                     "AVISIT": label, "ANL01FL": anl})

    # records inside the BOR/PFS window (R8.1: up to the first PD, none after new therapy)
    window = (tps["in_bor_window"].astype(bool) if "in_bor_window" in tps.columns
              else pd.Series(True, index=tps.index))
    for rec, inw in zip(tps.to_dict("records"), window, strict=True):
        if int(rec["tp"]) == 0:
            continue
        sid = str(rec["subject_id"])
        add(sid, "OVR", f"Overall Response by {evaluator}", rec["overall"],
            AVAL_RESP.get(rec["overall"], pd.NA), rec.get("date"), rec["tp"], rec.get("day"),
            anl="Y" if inw else None)
    first_pd = (tps[tps["overall"].isin(["PD", "iCPD"]) & (tps["tp"] > 0) & window]
                .sort_values("tp").groupby("subject_id").first())
    sets = [("", result)] + ([("C", confirmed)] if confirmed is not None else [])
    for prefix, res in sets:
        bor = _frame(res, "best_response")
        for rec in bor.sort_values("subject_id").to_dict("records"):
            sid, b = str(rec["subject_id"]), rec["bor"]
            tp = rec.get("bor_tp")
            tp = None if tp is None or pd.isna(tp) else int(tp)
            word = "Confirmed " if prefix else ""
            add(sid, f"{prefix}BOR", f"{word}Best Overall Response by {evaluator}", b,
                AVAL_RESP.get(b, pd.NA), rec.get("bor_date"), tp)
            resp = b in ("CR", "PR")
            add(sid, f"{prefix}RSP", f"{word}Response by {evaluator}", "Y" if resp else "N",
                1 if resp else 0, rec.get("bor_date") if resp else None)
    for sid in sorted(_frame(result, "best_response")["subject_id"].astype(str)):
        if sid in first_pd.index:
            r = first_pd.loc[sid]
            add(sid, "PD", f"Disease Progression by {evaluator}", "Y", 1, r["date"],
                int(r["tp"]), r.get("day"))
        else:
            add(sid, "PD", f"Disease Progression by {evaluator}", "N", 0, None)
    cols = ["USUBJID", "PARAMCD", "PARAM", "AVALC", "AVAL", "ADT", "ADY", "AVISITN", "AVISIT",
            "ANL01FL"]
    out = pd.DataFrame(rows, columns=cols)
    order = {"OVR": 0, "BOR": 1, "CBOR": 2, "RSP": 3, "CRSP": 4, "PD": 5}
    out = out.assign(_o=out["PARAMCD"].map(order)).sort_values(
        ["USUBJID", "_o"], kind="stable").drop(columns="_o").reset_index(drop=True)
    out.insert(0, "STUDYID", studyid)
    out.insert(out.columns.get_loc("ANL01FL"), "PARCAT1", "Tumor Response")
    out.insert(out.columns.get_loc("ANL01FL"), "PARCAT2", evaluator)
    out.insert(out.columns.get_loc("ANL01FL"), "PARCAT3", criteria)
    return out


def to_adtte(result: Any, *, studyid: str = "STUDY", subjects: pd.DataFrame | None = None
             ) -> pd.DataFrame:
    """ADaM ADTTE-style rows: ``PFS`` for every subject, ``DURRSP`` for responders (R10.3,
    R10.6).

    AVAL is the engine's day count (``days`` / ``dor_days``, inclusive of day 1 per
    ``pfs_day_offset``); CNSR = 0 for an event, 1 for censoring; EVNTDESC/CNSDTDSC carry the
    engine's reason code.
    """
    import pandas as pd

    pfs = _frame(result, "pfs")
    refs = _refs(subjects)
    rows = []
    for rec in pfs.sort_values("subject_id").to_dict("records"):
        sid = str(rec["subject_id"])
        ev = bool(rec["event"])
        rows.append({"USUBJID": sid, "PARAMCD": "PFS", "PARAM": "Progression-Free Survival (days)",
                     "STARTDT": _iso(refs.get(sid)), "ADT": _iso(rec.get("date")),
                     "AVAL": rec.get("days"), "CNSR": 0 if ev else 1,
                     "EVNTDESC": rec.get("reason") if ev else None,
                     "CNSDTDSC": None if ev else rec.get("reason")})
        start = rec.get("response_start_date")
        if start is not None and not pd.isna(start) and "dor_days" in rec:
            dev = bool(rec.get("dor_event"))
            rows.append({"USUBJID": sid, "PARAMCD": "DURRSP",
                         "PARAM": "Duration of Response (days)", "STARTDT": _iso(start),
                         "ADT": _iso(rec.get("date")), "AVAL": rec.get("dor_days"),
                         "CNSR": 0 if dev else 1, "EVNTDESC": rec.get("reason") if dev else None,
                         "CNSDTDSC": None if dev else rec.get("reason")})
    out = pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "PARAM", "STARTDT", "ADT", "AVAL",
                                      "CNSR", "EVNTDESC", "CNSDTDSC"])
    out.insert(0, "STUDYID", studyid)
    return out
