"""``evaluate``: RECIST 1.1 / iRECIST evaluation of a lesion table, and ``RecistResult``.

Routing (documented in the package docstring): subjects with splits, coalescence, equivocal new
lesions or a time point spanning several scan dates, and every subject under iRECIST, go through
the row-by-row reference engine (:mod:`.timepoint`, :mod:`.best`, :mod:`.endpoints`,
:mod:`.irecist`); all others go through the NumPy engine (:mod:`.vectorized`), which is checked
against the reference on generated cohorts (``oncodyn bench recist``, property tests).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .baseline import validate
from .best import best_overall, cr_followed_by_non_cr
from .endpoints import duration_of_response, pfs
from .frames import bor_frame, bor_reason, pfs_frame, timepoint_frame
from .options import RecistOptions
from .subject import SubjectData, split_subjects, subject_flags
from .tables import MISSING, Prepared, prepare
from .timepoint import evaluate_timepoints

MESSAGE_COLUMNS = ["subject_id", "level", "code", "lesion_id", "message"]


@dataclass(frozen=True)
class RecistResult:
    """Result of :func:`evaluate` (frozen; frames are not to be modified in place).

    Attributes
    ----------
    timepoints, best_response, pfs, baseline, messages : pandas.DataFrame
        See the package docstring for the columns.
    options : RecistOptions
    engine : pandas.Series
        Per subject: ``"vectorized"`` or ``"reference"`` (which path evaluated it).
    """

    timepoints: pd.DataFrame
    best_response: pd.DataFrame
    pfs: pd.DataFrame
    baseline: pd.DataFrame
    messages: pd.DataFrame
    options: RecistOptions
    engine: pd.Series

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """The result frames by name (timepoints, best_response, pfs, baseline, messages)."""
        return {"timepoints": self.timepoints, "best_response": self.best_response,
                "pfs": self.pfs, "baseline": self.baseline, "messages": self.messages}

    def validation_errors(self, subject_id: str) -> list[str]:
        """The error codes (R2) of one subject."""
        m = self.messages
        return list(m[(m["subject_id"] == subject_id) & (m["level"] == "error")]["code"])


def _window(recs: list[dict], s: SubjectData, opts: RecistOptions, pd_code="PD") -> list[dict]:
    """R8.1: records up to and including the first PD, without those after new therapy."""
    out = []
    done = False
    for r in recs:
        d = r["day"]
        excl = (opts.exclude_after_new_therapy and s.therapy_day is not None and d is not None
                and d > s.therapy_day)
        post = (not opts.include_post_treatment and s.eot_day is not None and d is not None
                and d > s.eot_day)
        r["excluded"] = bool(excl)
        r["in_window"] = not (excl or post or done)
        r.setdefault("bor_overall", r["overall"])
        if r["in_window"]:
            out.append(r)
            if r["overall"] == pd_code:
                done = True
    return out


def reference_subject(s: SubjectData, opts: RecistOptions):
    """Row-by-row evaluation of one subject: (time-point records, BOR dict, PFS dict, warnings)."""
    if opts.irecist:
        from .irecist import evaluate_irecist
        return evaluate_irecist(s, opts)
    recs = evaluate_timepoints(s, opts)
    for r in recs:
        r["bor_overall"] = r["overall"]
    win = _window(recs, s, opts)
    warns = cr_followed_by_non_cr(win, opts)
    nt_only = not s.targets and bool(s.non_targets)
    seq = [(r["bor_overall"], r["day"]) for r in win]
    bor, idx, conf = best_overall(seq, opts, nt_only)
    bday = win[idx]["day"] if idx is not None else None
    pd_day = None
    if opts.equivocal_new_lesion == "date_only":
        pds = [r for r in win if r["overall"] == "PD"]
        if pds:
            first = [r["day"] for r in win if r["reclassified_by_tp"] is not None
                     and r["reclassified_by_tp"] <= pds[0]["tp"] and r["day"] is not None]
            pd_day = min(first + [pds[0]["day"]])
    p = pfs(win, recs, s, opts, pd_day=pd_day)
    p.update(duration_of_response(bor, bday, p))
    base = win[0]["baseline_u"] if win else None
    pcts = [(r["sod_u"] - base) / base * 100 for r in win
            if r["sod_u"] is not None and base]
    b = {"bor": bor, "bor_tp": win[idx]["tp"] if idx is not None else None, "bor_day": bday,
         "confirmed": conf, "best_pct_change": round(min(pcts), 2) if pcts else np.nan,
         "reason": bor_reason(bor, conf, bday, opts, nt_only)}
    return recs, b, p, warns


def _u(x) -> int:
    return MISSING if x is None else int(x)


def reference_frames(subjects: dict[str, SubjectData], opts: RecistOptions):
    """Evaluate subjects row by row; returns (timepoints, best_response, pfs, warnings)."""
    tp = {k: [] for k in ("subject_id", "tp", "label", "day", "performed", "target",
                          "target_rule", "non_target", "nt_rule", "new_lesions", "overall",
                          "overall_as_assessed", "sod_u", "partial_u", "baseline_u", "nadir_u",
                          "reclass_tp", "n_ne", "n_t", "excluded", "in_window", "ref")}
    if opts.irecist:
        tp["overall_recist11"] = []
        tp["nlt_sum_mm"] = []
        tp["i_note"] = []
    bo = {k: [] for k in ("subject_id", "bor", "bor_tp", "bor_day", "confirmed",
                          "best_pct_change", "reason", "ref")}
    pf = {k: [] for k in ("subject_id", "event", "day", "reason", "dor_event", "dor_days",
                          "response_start_day", "ref")}
    warns = []
    for sid, s in subjects.items():
        recs, b, p, w = reference_subject(s, opts)
        warns += [(sid, "warning", "CR_FOLLOWED_BY_NON_CR", "", x) for x in w]
        ref = s.reference_date
        for r in recs:
            tp["subject_id"].append(sid)
            tp["tp"].append(r["tp"])
            tp["label"].append(r["label"])
            tp["day"].append(np.nan if r["day"] is None else r["day"])
            tp["performed"].append(r["performed"])
            for k in ("target", "target_rule", "non_target", "nt_rule", "new_lesions",
                      "overall", "overall_as_assessed", "excluded", "in_window"):
                tp[k].append(r[k])
            for k in ("sod_u", "partial_u", "baseline_u", "nadir_u"):
                tp[k].append(_u(r[k]))
            tp["reclass_tp"].append(-1 if r["reclassified_by_tp"] is None
                                    else r["reclassified_by_tp"])
            tp["n_ne"].append(r["n_target_ne"])
            tp["n_t"].append(r["n_targets"])
            tp["ref"].append(ref)
            if opts.irecist:
                tp["overall_recist11"].append(r["overall_recist11"])
                tp["nlt_sum_mm"].append(r["nlt_sum_mm"])
                tp["i_note"].append(r.get("i_note", ""))
        bo["subject_id"].append(sid)
        for k in ("bor", "confirmed", "best_pct_change", "reason"):
            bo[k].append(b[k])
        bo["bor_tp"].append(np.nan if b["bor_tp"] is None else b["bor_tp"])
        bo["bor_day"].append(np.nan if b["bor_day"] is None else b["bor_day"])
        bo["ref"].append(ref)
        pf["subject_id"].append(sid)
        for k in ("event", "day", "reason", "dor_event"):
            pf[k].append(p[k])
        for k in ("dor_days", "response_start_day"):
            pf[k].append(np.nan if p[k] is None else p[k])
        pf["ref"].append(ref)
    return timepoint_frame(tp), bor_frame(bo), pfs_frame(pf, opts.pfs_day_offset), warns


def _messages(msgs) -> pd.DataFrame:
    return pd.DataFrame(msgs, columns=MESSAGE_COLUMNS) if msgs else \
        pd.DataFrame({c: pd.Series(dtype=object) for c in MESSAGE_COLUMNS})


def _in_order(df: pd.DataFrame, ids: np.ndarray, with_tp: bool = False) -> pd.DataFrame:
    """Rows stably sorted by the position of subject_id in ``ids`` (then tp); a frame already
    in that order (the usual case) is returned as is, with a fresh RangeIndex."""
    codes, uniq = pd.factorize(df["subject_id"])
    uniq = np.asarray(uniq, dtype=object)
    tp = df["tp"].to_numpy() if with_tp else None
    if len(df) > 1 and np.all(np.diff(codes) >= 0):
        # runs of subjects in first-appearance order: sorted iff those runs follow ``ids``
        ip = pd.Index(ids).get_indexer(uniq) if len(uniq) != len(ids) or \
            not np.array_equal(uniq, ids) else np.arange(len(ids))
        ok = bool(np.all(np.diff(ip) > 0))
        if ok and with_tp:
            same = np.diff(codes) == 0
            ok = bool(np.all(~same | (np.diff(tp) >= 0)))
        if ok:
            return df.reset_index(drop=True)
    pos = pd.Index(ids).get_indexer(uniq)[codes]
    order = np.lexsort((tp, pos)) if with_tp else np.argsort(pos, kind="stable")
    return df.take(order).reset_index(drop=True)


def evaluate(lesions: pd.DataFrame, *, assessments: pd.DataFrame | None = None,
             subjects: pd.DataFrame | None = None,
             options: RecistOptions | dict | None = None, engine: str = "auto") -> RecistResult:
    """Evaluate RECIST 1.1 (or iRECIST) for every subject of a canonical lesion table.

    Parameters
    ----------
    lesions, assessments, subjects : pandas.DataFrame
        Canonical frames (package docstring). ``assessments``/``subjects`` are optional.
    options : RecistOptions or mapping, optional
        Spec §R12 options; defaults when omitted.
    engine : {"auto", "reference", "vectorized"}
        ``auto`` routes each subject (see module docstring); ``reference`` forces the row-by-row
        engine; ``vectorized`` forces the NumPy engine for every subject it supports (the others
        still take the reference path).

    Raises
    ------
    DataError, ConfigError
        Bad input (naming row and column) or a bad option.
    """
    opts = RecistOptions.from_dict(options) if not isinstance(options, RecistOptions) else options
    if engine not in ("auto", "reference", "vectorized"):
        from ..errors import ConfigError
        raise ConfigError(f"engine {engine!r} not allowed; allowed: 'auto', 'reference', "
                          "'vectorized'")
    p: Prepared = prepare(lesions, assessments, subjects)
    base, msgs = validate(p.lesions, p.assessments, p.subjects, opts.baseline_max_days_before)
    msgs = list(p.messages) + msgs
    all_ids = list(p.subjects["subject_id"])
    if engine == "reference" or opts.irecist:
        ref_ids, vec_ids = all_ids, []
    else:
        from .vectorized import supported
        fl = subject_flags(p)
        vec_mask = supported(p, fl, opts)
        vec_ids = [i for i in all_ids if vec_mask.get(i, False)]
        ref_ids = [i for i in all_ids if not vec_mask.get(i, False)]
    parts = []
    routes = {}
    if vec_ids:
        from .vectorized import evaluate_vectorized
        out, fallback = evaluate_vectorized(p, vec_ids, opts)
        if fallback:
            ref_ids = ref_ids + fallback
        parts.append(out)
        fb = set(fallback)
        routes.update({i: "vectorized" for i in vec_ids if i not in fb})
    if ref_ids:
        subs = split_subjects(p, ref_ids)
        t, b, f, w = reference_frames(subs, opts)
        msgs += w
        parts.append((t, b, f))
        routes.update({i: "reference" for i in ref_ids})
    if len(parts) == 1:
        t, b, f = parts[0]
    else:
        t, b, f = (pd.concat([x[k] for x in parts], ignore_index=True) for k in range(3))
    ids_arr = np.asarray(all_ids, dtype=object)
    t = _in_order(t, ids_arr, with_tp=True)
    b = _in_order(b, ids_arr)
    f = _in_order(f, ids_arr)
    return RecistResult(t, b, f, base, _messages(msgs), opts,
                        pd.Series(routes, name="engine").reindex(all_ids))
