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


def _frame(result: Any, name: str) -> pd.DataFrame:
    if isinstance(result, Mapping):
        return result[name]
    return getattr(result, name)


# Every helper below works on whole columns (a 100,000-patient cohort has 1.2 million time
# points and 4 million RS records): no Python loop over records.

def _columns(df: pd.DataFrame, *names: str) -> pd.DataFrame:
    """The columns ``names`` that ``df`` has: a writer sorts only what it reads (the time-point
    frame also carries long reason texts)."""
    return df[[c for c in names if c in df.columns]]


def _take_text(values: Any, idx: Any) -> Any:
    """``values[idx]`` as a pandas text array (what a frame infers from the same Python
    strings), taken through the distinct values: building millions of Python strings and
    converting them back is most of the cost of a large RS table. Missing stays missing."""
    import numpy as np
    import pandas as pd

    c, u = pd.factorize(pd.Series(values) if isinstance(values, np.ndarray) else values)
    return pd.array(np.asarray(u, dtype=object), dtype="str").take(
        np.asarray(c)[idx], allow_fill=True)


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    """``df[name]``, or an all-missing column when the frame lacks it."""
    import pandas as pd

    if name in df.columns:
        return df[name].reset_index(drop=True)
    return pd.Series([None] * len(df), dtype=object)


def _iso(dates: pd.Series) -> pd.Series:
    """Dates as ``YYYY-MM-DD`` text, None where missing."""
    import pandas as pd

    d = pd.to_datetime(dates, errors="coerce")
    return d.dt.strftime("%Y-%m-%d").astype(object).where(d.notna(), None)


def _sdtm_day(offset: pd.Series) -> pd.Series:
    """Day offset (0 = reference date) -> SDTM study day (day 1 = reference date, no day 0)."""
    import pandas as pd

    o = pd.to_numeric(offset, errors="coerce").astype("Float64").round().astype("Int64")
    return o.where(o < 0, o + 1)


def _day_column(sid: pd.Series, dates: pd.Series, offsets: pd.Series | None,
                refs: dict[str, Any]) -> pd.Series:
    """Study day of each record: from the date and the subject's reference date when the
    subject is in ``refs`` (NA when either is missing), else from the day offset."""
    import pandas as pd

    has_ref = sid.isin(list(refs)).to_numpy() if refs else None
    if offsets is None:
        out = pd.Series(pd.NA, index=sid.index, dtype="Int64")
    else:
        out = _sdtm_day(offsets.reset_index(drop=True))
    if has_ref is not None and has_ref.any():
        ref = pd.to_datetime(sid.map(refs), errors="coerce").dt.normalize()
        d = (pd.to_datetime(dates, errors="coerce").dt.normalize() - ref).dt.days
        by_date = _sdtm_day(d)
        out = out.where(~has_ref, by_date)
    return out


def _visits(sid: pd.Series, tp: pd.Series, assessments: pd.DataFrame | None
            ) -> tuple[pd.Series, pd.Series]:
    """VISITNUM (the assessment's ``visitnum``, else tp) and VISIT (its ``label``, else
    ``"TP <tp>"``) of each (subject, tp); whole numbers print without a decimal point."""
    import numpy as np
    import pandas as pd

    tp = pd.to_numeric(tp.reset_index(drop=True)).astype("int64")
    num = pd.Series(np.nan, index=tp.index, dtype=float)
    label = pd.Series([None] * len(tp), index=tp.index, dtype=object)
    if assessments is not None and len(tp):
        a = pd.DataFrame({"_sid": assessments["subject_id"].astype(str).to_numpy(),
                          "_tp": pd.to_numeric(assessments["tp"]).astype("int64").to_numpy(),
                          "_num": (pd.to_numeric(assessments["visitnum"], errors="coerce")
                                   .to_numpy(dtype=float) if "visitnum" in assessments.columns
                                   else np.nan),
                          "_label": (assessments["label"].astype(object).to_numpy()
                                     if "label" in assessments.columns else None)})
        a = a.drop_duplicates(["_sid", "_tp"], keep="last")
        key = pd.DataFrame({"_sid": sid.astype(str).to_numpy(), "_tp": tp.to_numpy()})
        m = key.merge(a, on=["_sid", "_tp"], how="left")
        num = pd.Series(m["_num"].to_numpy(dtype=float), index=tp.index)
        label = pd.Series(m["_label"].to_numpy(dtype=object), index=tp.index)
    num = num.where(num.notna(), tp.astype(float))
    whole = (num == num.round()).to_numpy()
    if whole.all():
        num_out = num.round().astype("Int64")
    else:  # 1.5 stays 1.5, 3 stays 3 (not 3.0)
        num_out = pd.Series([int(v) if w else float(v) for v, w in zip(num, whole, strict=True)],
                            index=tp.index, dtype=object)
    missing = label.isna().to_numpy()
    label = label.where(~missing, "TP " + tp.astype(str))
    return num_out, label


def _refs(subjects: pd.DataFrame | None) -> dict[str, Any]:
    if subjects is None or "reference_date" not in subjects.columns:
        return {}
    return dict(zip(subjects["subject_id"].astype(str), subjects["reference_date"],
                    strict=True))


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
    import numpy as np
    import pandas as pd

    tps = _columns(_frame(result, "timepoints"), "subject_id", "tp", "date", "day", "target",
                   "non_target", "new_lesions", "overall").sort_values(["subject_id", "tp"])
    tps = tps[pd.to_numeric(tps["tp"]).to_numpy() != 0].reset_index(drop=True)
    bor = _frame(result, "best_response").sort_values("subject_id").reset_index(drop=True)
    refs = _refs(subjects)
    sid = tps["subject_id"].astype(str)
    num, label = _visits(sid, tps["tp"], assessments)
    rsdtc = _iso(_col(tps, "date"))
    rsdy = _day_column(sid, _col(tps, "date"), _col(tps, "day") if "day" in tps.columns
                       else None, refs)
    tests = (("TRGRESP", "Target Response", "target"),
             ("NTRGRESP", "Non-target Response", "non_target"),
             ("NEWLPROG", "New Lesion Progression", "new_lesions"),
             ("OVRLRESP", "Overall Response", "overall"))
    # each test's values as codes into a few distinct words (no per-record Python strings)
    codes, words = [], []
    for cd, _name, col in tests:
        c, u = pd.factorize(_col(tps, col))  # missing -> -1
        u = np.asarray(u, dtype=object)
        keep = np.append(u != "NA", False)[c]
        if cd == "NEWLPROG":
            u = np.array([{"YES": "Y", "NO": "N"}.get(v, v) for v in u], dtype=object)
        codes.append(np.where(keep, c + len(words), -1))
        words.extend(u)
    # records in time-point order, then test order: the row-major nonzero of (rows, tests)
    table = np.column_stack(codes) if len(tps) else np.full((0, len(tests)), -1)
    idx, k = np.nonzero(table >= 0)
    res_val = _take_text(np.array(words, dtype=object), table[idx, k])
    cols = ["USUBJID", "RSTESTCD", "RSTEST", "RSORRES", "RSSTRESC", "VISITNUM", "VISIT",
            "RSDTC", "RSDY"]
    tp_rows = pd.DataFrame({
        "USUBJID": _take_text(sid, idx),
        "RSTESTCD": _take_text(np.array([t[0] for t in tests], dtype=object), k),
        "RSTEST": _take_text(np.array([t[1] for t in tests], dtype=object), k),
        "RSORRES": res_val, "RSSTRESC": res_val,
        "VISITNUM": num.iloc[idx].to_numpy(), "VISIT": _take_text(label, idx),
        "RSDTC": rsdtc.to_numpy()[idx], "RSDY": rsdy.iloc[idx].to_numpy()})
    bsid = bor["subject_id"].astype(str)
    bdate = _col(bor, "bor_date")
    bor_rows = pd.DataFrame({
        "USUBJID": bsid.to_numpy(), "RSTESTCD": "BESTRSP", "RSTEST": "Best Overall Response",
        "RSORRES": bor["bor"].to_numpy(), "RSSTRESC": bor["bor"].to_numpy(),
        "VISITNUM": pd.NA, "VISIT": None, "RSDTC": _iso(bdate).to_numpy(),
        "RSDY": _day_column(bsid, bdate, None, refs).to_numpy()})
    out = pd.concat([tp_rows[cols], bor_rows[cols]], ignore_index=True)
    out["VISITNUM"] = _whole_as_int(out["VISITNUM"])
    out["RSDY"] = out["RSDY"].astype("Int64")
    out.insert(0, "DOMAIN", "RS")
    out.insert(0, "STUDYID", studyid)
    out.insert(3, "RSSEQ", out.groupby("USUBJID").cumcount() + 1)
    out.insert(6, "RSCAT", criteria)
    out["RSEVAL"] = evaluator
    return out


def _whole_as_int(v: pd.Series) -> pd.Series:
    """Int64 when every number is whole (or missing), else the column unchanged."""
    import pandas as pd

    num = pd.to_numeric(v, errors="coerce")
    if (num.isna() | (num == num.round())).all():
        return num.round().astype("Int64")
    return v


def to_adrs(result: Any, *, studyid: str = "STUDY", subjects: pd.DataFrame | None = None,
            assessments: pd.DataFrame | None = None, confirmed: Any = None,
            evaluator: str = "Investigator", criteria: str = "RECIST 1.1") -> pd.DataFrame:
    """ADaM ADRS-style table: OVR per visit, BOR, RSP, PD and, given ``confirmed``, CBOR/CRSP.

    Parameters
    ----------
    result
        RECIST result evaluated with the study's options (its BOR is reported as ``BOR``).
    confirmed
        Optional result (or mapping with a ``best_response`` frame, such as
        :func:`oncodyn.recist.confirmed_best_response` gives) of the same evaluation with
        ``confirmation_required = True`` (R8.3): gives ``CBOR`` and ``CRSP``.
    subjects
        Optional ``reference_date`` per subject for ADY; else the time point's ``day``.

    Notes
    -----
    ``ANL01FL = "Y"`` marks OVR records inside the evaluation window (timepoints column
    ``in_bor_window``: up to the first PD, none after new anti-cancer therapy, R8.1); ``PD`` is
    the first overall PD (or iCPD) inside that window. iRECIST codes have no AVAL (admiralonco
    codes RECIST 1.1 categories only).
    """
    import numpy as np
    import pandas as pd

    tps = _columns(_frame(result, "timepoints"), "subject_id", "tp", "date", "day", "overall",
                   "in_bor_window").sort_values(["subject_id", "tp"], kind="stable")
    refs = _refs(subjects)
    # records inside the BOR/PFS window (R8.1: up to the first PD, none after new therapy)
    window = (tps["in_bor_window"].astype(bool) if "in_bor_window" in tps.columns
              else pd.Series(True, index=tps.index))
    cols = ["USUBJID", "PARAMCD", "PARAM", "AVALC", "AVAL", "ADT", "ADY", "AVISITN", "AVISIT",
            "ANL01FL"]

    def block(sid, cd, name, avalc, adt, *, aval=None, tp=None, day=None, anl="Y"):
        if isinstance(sid, pd.Series) and isinstance(sid.dtype, pd.StringDtype):
            sid = sid.reset_index(drop=True).astype(str)  # text already: no Python strings
        else:
            sid = pd.Series(np.asarray(sid, dtype=object)).astype(str)
        n = len(sid)
        avalc = pd.Series(np.asarray(avalc, dtype=object))
        if aval is None:  # AVAL_RESP looked up once per distinct response, not per record
            c, u = pd.factorize(avalc)
            aval = np.append(pd.Series(np.asarray(u, dtype=object), dtype=object)
                             .map(AVAL_RESP).to_numpy(dtype=float), np.nan)[c]
        adt = pd.Series(adt).reset_index(drop=True) if adt is not None else pd.Series(
            [None] * n, dtype=object)
        if tp is None:
            num, label = pd.Series(pd.NA, index=range(n), dtype="Int64"), [None] * n
        else:
            num, label = _visits(sid, pd.Series(tp), assessments)
            num, label = num.to_numpy(), label.to_numpy()
        return pd.DataFrame({
            "USUBJID": sid.array, "PARAMCD": cd, "PARAM": name, "AVALC": avalc.to_numpy(),
            "AVAL": pd.array(pd.Series(aval).to_numpy(dtype=object), dtype="Int64"),
            "ADT": _iso(adt).to_numpy(), "ADY": _day_column(sid, adt, day, refs).to_numpy(),
            "AVISITN": num, "AVISIT": label, "ANL01FL": anl})

    post = tps[pd.to_numeric(tps["tp"]).to_numpy() != 0]
    inw = window[post.index].to_numpy(dtype=bool)
    parts = [block(post["subject_id"], "OVR", f"Overall Response by {evaluator}",
                   post["overall"], _col(post, "date"), tp=post["tp"],
                   day=_col(post, "day") if "day" in post.columns else None,
                   anl=np.where(inw, "Y", None))]
    sets = [("", result)] + ([("C", confirmed)] if confirmed is not None else [])
    for prefix, res in sets:
        bor = _frame(res, "best_response").sort_values("subject_id").reset_index(drop=True)
        word = "Confirmed " if prefix else ""
        b = bor["bor"].astype(object)
        tp = pd.to_numeric(_col(bor, "bor_tp"), errors="coerce")
        has_tp = tp.notna().to_numpy()
        bdate = _col(bor, "bor_date")
        bor_block = block(bor["subject_id"], f"{prefix}BOR",
                          f"{word}Best Overall Response by {evaluator}", b, bdate)
        if has_tp.any():  # visit of the BOR time point where it has one
            vn, vl = _visits(bor["subject_id"][has_tp].astype(str), tp[has_tp], assessments)
            bor_block["AVISITN"] = bor_block["AVISITN"].astype(object)
            bor_block.loc[has_tp, "AVISITN"] = vn.to_numpy()
            bor_block.loc[has_tp, "AVISIT"] = vl.to_numpy()
        resp = b.isin(["CR", "PR"]).to_numpy()
        parts += [bor_block,
                  block(bor["subject_id"], f"{prefix}RSP", f"{word}Response by {evaluator}",
                        np.where(resp, "Y", "N"), bdate.where(resp, None),
                        aval=resp.astype(int))]
    win_tps = tps[tps["overall"].isin(["PD", "iCPD"]) & (tps["tp"] > 0) & window]
    first_pd = win_tps.sort_values("tp").groupby("subject_id").first()
    first_pd.index = first_pd.index.astype(str)
    sids = pd.Series(sorted(_frame(result, "best_response")["subject_id"].astype(str)),
                     dtype=object)
    has_pd = sids.isin(first_pd.index).to_numpy()
    pd_sid = sids[has_pd]
    r = first_pd.loc[pd_sid.to_numpy()] if has_pd.any() else first_pd.iloc[:0]
    pd_yes = block(pd_sid, "PD", f"Disease Progression by {evaluator}", ["Y"] * len(pd_sid),
                   _col(r, "date"), aval=[1] * len(pd_sid), tp=_col(r, "tp"),
                   day=_col(r, "day") if "day" in r.columns else None)
    pd_no = block(sids[~has_pd], "PD", f"Disease Progression by {evaluator}",
                  ["N"] * int((~has_pd).sum()), None, aval=[0] * int((~has_pd).sum()))
    pd_rows = pd.concat([pd_yes.assign(_i=np.flatnonzero(has_pd)),
                         pd_no.assign(_i=np.flatnonzero(~has_pd))]).sort_values("_i")
    parts.append(pd_rows.drop(columns="_i"))
    out = pd.concat([p_[cols] for p_ in parts], ignore_index=True)
    out["AVISITN"] = _whole_as_int(out["AVISITN"])
    out["ADY"] = out["ADY"].astype("Int64")
    order = {"OVR": 0, "BOR": 1, "CBOR": 2, "RSP": 3, "CRSP": 4, "PD": 5}
    # each block has one PARAMCD: its sort rank per block, not looked up per record
    rank = np.concatenate([np.full(len(p_), order[p_["PARAMCD"].iloc[0]] if len(p_) else 0)
                           for p_ in parts])
    out = out.assign(_o=rank).sort_values(
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
    import numpy as np
    import pandas as pd

    pfs = _frame(result, "pfs").sort_values("subject_id").reset_index(drop=True)
    refs = _refs(subjects)
    sid = pfs["subject_id"].astype(str)
    ev = pfs["event"].astype(bool).to_numpy()
    reason = _col(pfs, "reason").astype(object)
    adt = _iso(_col(pfs, "date")).to_numpy()
    rows = [pd.DataFrame({
        "_i": np.arange(len(pfs)), "_k": 0, "USUBJID": sid.to_numpy(), "PARAMCD": "PFS",
        "PARAM": "Progression-Free Survival (days)",
        "STARTDT": _iso(sid.map(refs)).to_numpy() if refs else None, "ADT": adt,
        "AVAL": _col(pfs, "days").to_numpy(), "CNSR": np.where(ev, 0, 1),
        "EVNTDESC": reason.where(ev, None).to_numpy(),
        "CNSDTDSC": reason.where(~ev, None).to_numpy()})]
    start = _col(pfs, "response_start_date")
    dur = (start.notna().to_numpy() if "dor_days" in pfs.columns
           else np.zeros(len(pfs), dtype=bool))
    if dur.any():
        dev = _col(pfs, "dor_event").fillna(False).astype(bool).to_numpy()[dur]
        rows.append(pd.DataFrame({
            "_i": np.flatnonzero(dur), "_k": 1, "USUBJID": sid.to_numpy()[dur],
            "PARAMCD": "DURRSP", "PARAM": "Duration of Response (days)",
            "STARTDT": _iso(start[dur]).to_numpy(), "ADT": adt[dur],
            "AVAL": pfs["dor_days"].to_numpy()[dur], "CNSR": np.where(dev, 0, 1),
            "EVNTDESC": reason[dur].where(dev, None).to_numpy(),
            "CNSDTDSC": reason[dur].where(~dev, None).to_numpy()}))
    out = pd.concat(rows, ignore_index=True).sort_values(["_i", "_k"], kind="stable")
    out = out.drop(columns=["_i", "_k"]).reset_index(drop=True)
    out = out[["USUBJID", "PARAMCD", "PARAM", "STARTDT", "ADT", "AVAL", "CNSR", "EVNTDESC",
               "CNSDTDSC"]]
    out["AVAL"] = _whole_as_int(out["AVAL"])
    out.insert(0, "STUDYID", studyid)
    return out
