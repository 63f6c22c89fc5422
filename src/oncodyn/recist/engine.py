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


def _ordered(df: pd.DataFrame, pos: np.ndarray, tp: np.ndarray | None = None) -> pd.DataFrame:
    """Rows stably sorted by subject position ``pos`` (then ``tp``), with a fresh RangeIndex.

    A frame already in order (the usual case) is returned without copying rows; a nearly sorted
    one (a few subjects from the reference path appended to the NumPy path's rows) is rebuilt
    from contiguous slices, which keeps Arrow string columns unshuffled.
    """
    order = np.lexsort((tp, pos)) if tp is not None else np.argsort(pos, kind="stable")
    if len(order) == 0 or np.array_equal(order, np.arange(len(order))):
        return df.reset_index(drop=True)
    breaks = np.flatnonzero(np.diff(order) != 1) + 1
    if len(breaks) > 64:
        return df.take(order).reset_index(drop=True)
    starts = np.r_[0, breaks]
    ends = np.r_[breaks, len(order)]
    pieces = [df.iloc[order[s0]:order[s0] + (e - s0)] for s0, e in zip(starts, ends, strict=True)]
    return pd.concat(pieces, ignore_index=True)


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
    positions = []  # per part: subject position (in all_ids) of each time-point / subject row
    routes = {}
    all_index = pd.Index(all_ids)
    if vec_ids:
        from .vectorized import evaluate_vectorized
        out, fallback, (tp_rows, sub_rows) = evaluate_vectorized(p, vec_ids, opts)
        if fallback:
            ref_ids = ref_ids + fallback
        parts.append(out)
        vpos = all_index.get_indexer(vec_ids)
        positions.append((vpos[tp_rows], vpos[sub_rows]))
        fb = set(fallback)
        routes.update({i: "vectorized" for i in vec_ids if i not in fb})
    if ref_ids:
        subs = split_subjects(p, ref_ids)
        t, b, f, w = reference_frames(subs, opts)
        msgs += w
        parts.append((t, b, f))
        positions.append((all_index.get_indexer(t["subject_id"]),
                          all_index.get_indexer(b["subject_id"])))
        routes.update({i: "reference" for i in ref_ids})
    if len(parts) == 1:
        t, b, f = parts[0]
        (t_pos, s_pos), = positions
    else:
        t, b, f = (pd.concat([x[k] for x in parts], ignore_index=True) for k in range(3))
        t_pos = np.concatenate([x[0] for x in positions])
        s_pos = np.concatenate([x[1] for x in positions])
    t = _ordered(t, t_pos, t["tp"].to_numpy())
    b = _ordered(b, s_pos)
    f = _ordered(f, s_pos)
    return RecistResult(t, b, f, base, _messages(msgs), opts,
                        pd.Series(routes, name="engine").reindex(all_ids))
