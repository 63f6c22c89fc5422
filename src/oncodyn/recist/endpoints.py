"""Progression-free survival and duration of response (R10), reference implementation.

Sources: RECIST 1.1 (Eisenhauer 2009) section 4.5 (duration of response from first CR/PR to PD)
and FDA guidance "Clinical Trial Endpoints for the Approval of Cancer Drugs and Biologics" (2018),
Tables on PFS event/censoring (censor at the last adequate assessment; new anti-cancer therapy;
missed visits). Duration in days = ``event_or_censor_day - reference_day + pfs_day_offset``
(default 1, the reference date being day 1; R10.3). Times are integer day offsets from the
reference date.
"""

from __future__ import annotations

from .options import RecistOptions

ADEQUATE = ("CR", "PR", "SD", "NON-CR/NON-PD", "iCR", "iPR", "iSD", "NON-iCR/NON-iUPD")


def pfs(window: list[dict], all_recs: list[dict], s, opts: RecistOptions,
        pd_code: str = "PD", pd_reason: str = "PD", pd_day=None) -> dict:
    """PFS record of one subject.

    Parameters
    ----------
    window : records in the BOR window (R8.1), with ``bor_overall`` and ``day``.
    all_recs : all post-baseline records (for the missed-visit rule).
    s : SubjectData (death/therapy/symptom days).
    pd_day : override of the progression day (iRECIST: the confirmed iUPD; R6.3 ``date_only``).
    """
    events = []
    if pd_day is None:
        for r in window:
            if r["bor_overall"] == pd_code:
                pd_day = r["day"]
                break
    if pd_day is not None:
        events.append((pd_day, pd_reason))
    therapy = s.therapy_day if opts.exclude_after_new_therapy else None
    if s.death_day is not None and (therapy is None or s.death_day <= therapy):
        events.append((s.death_day, "DEATH"))
    if opts.clinical_progression_is_event and s.sympt_day is not None and \
            (therapy is None or s.sympt_day <= therapy):
        events.append((s.sympt_day, "SYMPTOMATIC_DETERIORATION"))
    adequate = [r for r in window if r["bor_overall"] in ADEQUATE and r["day"] is not None]
    if events:
        day, reason = min(events, key=lambda e: e[0])
        before = [r for r in adequate if r["day"] <= day]
        last = before[-1] if before else None
        if opts.missed_visit_censoring.enabled:
            start_tp = last["tp"] if last else 0
            missed = 0
            run = 0
            for r in all_recs:
                if r["tp"] <= start_tp:
                    continue
                if r["day"] is not None and r["day"] >= day:
                    break
                run = run + 1 if r["overall"] == "NE" else 0
                missed = max(missed, run)
            if missed > opts.missed_visit_censoring.max_missed:
                cday = last["day"] if last else 0
                return {"event": False, "day": cday, "reason": "CENSORED_MISSED_VISITS"}
        return {"event": True, "day": day, "reason": reason}
    if adequate:
        reason = ("CENSORED_NEW_THERAPY" if therapy is not None
                  else "CENSORED_LAST_ADEQUATE_ASSESSMENT")
        return {"event": False, "day": adequate[-1]["day"], "reason": reason}
    return {"event": False, "day": 0, "reason": "CENSORED_REFERENCE_DATE"}


def duration_of_response(bor: str, bor_day, p: dict) -> dict:
    """DoR (R10.6): from the first (confirmed) CR/PR day to PD/death, or the PFS censoring day."""
    if bor not in ("CR", "PR", "iCR", "iPR") or bor_day is None:
        return {"dor_event": None, "dor_days": None, "response_start_day": None}
    end = max(p["day"], bor_day)
    return {"dor_event": bool(p["event"]), "dor_days": end - bor_day + 1,
            "response_start_day": bor_day}
