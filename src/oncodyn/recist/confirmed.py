"""Confirmed best overall response derived from an evaluated result (R8.2, R8.3).

ADaM ADRS reports both the study's BOR and the BOR with confirmation required (``CBOR``,
``CRSP``). With the default options, the time-point responses, the evaluation window (R8.1)
and the R8.5 adjustments do not depend on ``confirmation_required``: only the last step, the
best overall response, does. :func:`confirmed_best_response` therefore re-applies that step to
the time points of a result already evaluated, through the one implementation of the rule
(:func:`oncodyn.recist.confirm.best_overall`, and :func:`oncodyn.recist.best.cr_followed_by_non_cr`
for R8.5), instead of evaluating the whole cohort a second time. Tests check that it equals
a full evaluation with ``confirmation_required=True`` on the spec cases and generated cohorts.

The one exception is ``pr_continuation = "faq"`` (R7.6): there a PR continues only after a
*confirmed* PR when confirmation is required, so the time points themselves change; the
function then returns ``None`` and the caller evaluates again.

Source: Eisenhauer EA et al. (2009) Eur J Cancer 45:228-247, RECIST 1.1 sections 4.4 and 4.6,
Table 3; docs/recist.md#r8. Research and teaching software, not a clinical decision tool.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .best import cr_followed_by_non_cr
from .confirm import CR, NE, NN, PD, PR, SD, best_overall
from .frames import bor_frame, bor_reason

UPD = 7  #: iRECIST unconfirmed progression: breaks a confirmation chain, never a BOR category
_CODE = {"CR": CR, "PR": PR, "SD": SD, "PD": PD, "NE": NE, "NON-CR/NON-PD": NN,
         # iRECIST time-point codes, read back as RECIST 1.1 categories (as irecist.py does)
         "iCR": CR, "iPR": PR, "iSD": SD, "NON-iCR/NON-iUPD": NN, "iCPD": PD, "iUPD": UPD}
_LABEL = np.array(["NA", "CR", "PR", "SD", "PD", "NE", "NON-CR/NON-PD"], dtype=object)
_ILABEL = {"CR": "iCR", "PR": "iPR", "SD": "iSD", "NON-CR/NON-PD": "NON-iCR/NON-iUPD",
           "PD": "iCPD", "NE": "NE"}


def confirmed_best_response(result: Any) -> pd.DataFrame | None:
    """The ``best_response`` frame that :func:`oncodyn.recist.evaluate` would return with
    ``confirmation_required=True`` (other options unchanged), from ``result``'s time points.

    Parameters
    ----------
    result : RecistResult
        A result of :func:`oncodyn.recist.evaluate` (any options).

    Returns
    -------
    pandas.DataFrame or None
        Same columns, dtypes and row order as ``result.best_response``; ``result.best_response``
        itself when confirmation was already required; ``None`` when the options make the time
        points depend on confirmation (``pr_continuation = "faq"``): evaluate again then.
    """
    opts = result.options
    if opts.confirmation_required:
        return result.best_response
    if opts.pr_continuation == "faq":
        return None
    copts = opts.with_changes(confirmation_required=True)
    br = result.best_response
    tp = result.timepoints
    P = len(br)
    # subject position (row of ``br``) of every time point; rows are grouped by subject
    codes, uniq = pd.factorize(tp["subject_id"], sort=False)
    spos = pd.Index(br["subject_id"]).get_indexer(uniq)[codes] if len(tp) else \
        np.zeros(0, np.int64)
    has_t = np.zeros(P, bool)
    has_nt = np.zeros(P, bool)
    has_t[spos[(tp["target"] != "NA").to_numpy(dtype=bool)]] = True
    has_nt[spos[(tp["non_target"] != "NA").to_numpy(dtype=bool)]] = True
    nt_only = ~has_t & has_nt
    # evaluation window (R8.1) as (subject, visit slot) arrays
    w = np.flatnonzero(tp["in_bor_window"].to_numpy(dtype=bool))
    ws = spos[w]
    order = np.lexsort((w, ws))  # already sorted in practice; kept stable either way
    w, ws = w[order], ws[order]
    start = np.r_[0, np.flatnonzero(ws[1:] != ws[:-1]) + 1] if len(ws) else np.zeros(0, int)
    first = np.zeros(len(ws), np.int64)
    first[start] = start
    slot = np.arange(len(ws)) - np.maximum.accumulate(first) if len(ws) else first
    V = int(slot.max()) + 1 if len(slot) else 1
    oc, ou = pd.factorize(tp["overall"])  # codes looked up once per distinct response
    ou = np.asarray(ou, dtype=object)
    bad = [x for x in ou if x not in _CODE] + (["<missing>"] if (oc[w] < 0).any() else [])
    if bad:
        raise ValueError(f"unknown overall response code(s) in the time points: {bad}")
    ov = np.zeros((P, V), np.int8)
    ov[ws, slot] = np.array([_CODE[x] for x in ou] + [NE], np.int8)[oc[w]]
    day = np.full((P, V), np.nan)
    day[ws, slot] = tp["day"].to_numpy(dtype=float, na_value=np.nan)[w]
    win = np.zeros((P, V), bool)
    win[ws, slot] = True
    row = np.full((P, V), -1, np.int64)
    row[ws, slot] = w
    if not opts.irecist and len(w):
        _r85(ov, win, row, tp, opts)
    bor_code, bidx, cr_c, pr_c = best_overall(ov, day, win, nt_only, copts)
    bor = _LABEL[bor_code]
    if opts.irecist:  # R11.7: iUPD when nothing else qualifies (as irecist.py)
        upd = win & (ov == UPD)
        use = (bor == "NE") & upd.any(1)
        bidx = np.where(use, np.argmax(upd, 1), bidx)
        bor = np.array([_ILABEL[b] for b in bor], dtype=object)
        bor[use] = "iUPD"
    rows = np.arange(P)
    bsafe = np.maximum(bidx, 0)
    has = bidx >= 0
    conf = (np.where(np.isin(bor, ["CR", "iCR"]), cr_c[rows, bsafe],
                     np.where(np.isin(bor, ["PR", "iPR"]), pr_c[rows, bsafe], False)) & has)
    bday = np.where(has, day[rows, bsafe], np.nan)
    trow = row[rows, bsafe]
    btp = np.where(has, tp["tp"].to_numpy()[np.maximum(trow, 0)] if len(tp) else 0, np.nan)
    dates = tp["date"].to_numpy(dtype="datetime64[ns]") if len(tp) else None
    bdate = np.full(P, np.datetime64("NaT"), dtype="datetime64[ns]")
    if dates is not None:
        bdate[has] = dates[trow[has]]
    reason = [bor_reason(b, bool(c), None if d != d else int(d), copts, bool(n))
              for b, c, d, n in zip(bor, conf, bday, nt_only, strict=True)]
    out = bor_frame({"subject_id": br["subject_id"].to_numpy(dtype=object), "bor": bor,
                     "bor_tp": btp, "bor_day": bday, "bor_date": bdate, "confirmed": conf,
                     "best_pct_change": br["best_pct_change"].to_numpy(dtype=float),
                     "reason": reason})
    out.index = br.index
    for col in ("subject_id", "bor", "reason"):  # text dtypes as the engine left them
        out[col] = out[col].astype(br[col].dtype)
    return out


def _r85(ov, win, row, tp, opts) -> None:
    """R8.5 (a fully evaluated PR/SD after a CR): adjust ``ov`` in place for the few subjects
    concerned, through :func:`oncodyn.recist.best.cr_followed_by_non_cr`."""
    is_cr = win & (ov == CR)
    cr_before = (np.cumsum(is_cr, 1) - is_cr) > 0
    full_row = ((tp["target"] != "NE") & (tp["non_target"] != "NE")).to_numpy(dtype=bool)
    full = full_row[np.maximum(row, 0)]
    hit = (win & cr_before & ((ov == PR) | (ov == SD)) & full).any(1)
    if not hit.any():
        return
    tps = tp["tp"].to_numpy()
    target = tp["target"].to_numpy(dtype=object)
    non_target = tp["non_target"].to_numpy(dtype=object)
    for p in np.flatnonzero(hit):
        k = int(win[p].sum())
        recs = [{"bor_overall": _LABEL[ov[p, j]], "target": target[row[p, j]],
                 "non_target": non_target[row[p, j]], "tp": int(tps[row[p, j]])}
                for j in range(k)]
        cr_followed_by_non_cr(recs, opts)
        ov[p, :k] = [_CODE[x["bor_overall"]] for x in recs]
