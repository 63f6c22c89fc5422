"""Time-point responses of RECIST 1.1 (R3-R7): the row-by-row reference engine.

Source: Eisenhauer EA et al., Eur J Cancer 2009;45:228-247, sections 4.3.1-4.3.4 and Tables 1-2
(target CR/PR/SD/PD, non-target CR/non-CR/non-PD/PD, new lesions, overall response), Appendix II
(too-small-to-measure 5 mm default, split and coalescing lesions); RECIST FAQ (reappearance after
CR, continuing PR). Every threshold is compared in integers (R0.3):
PR ``10*S <= 7*B``; PD ``5*S >= 6*N`` and ``S - N >= 5 mm``; node CR ``SA < 10 mm``.
"""

from __future__ import annotations

from .options import RecistOptions
from .subject import SubjectData
from .tables import SCALE

NODE_NORMAL_U = 10 * SCALE  #: a node with short axis < 10 mm is normal (R4.1)
PD_ABS_U = 5 * SCALE  #: absolute PD increase of 5 mm (R4.2)
ADEQUATE = ("CR", "PR", "SD", "NON-CR/NON-PD")


def target_value(s: SubjectData, tp: int, lid: str, nodal: bool, tstm_u: int):
    """Value of one target at one time point in integer units, or None if not evaluable.

    R3.2-R3.6: measured value as is (SA for nodes, LD otherwise), too-small-to-measure -> the
    ``tstm_default_mm`` default, absent -> 0, coalesced -> 0 (mass carried by ``into``), split ->
    sum of the fragments (any fragment not evaluable -> None).
    """
    r = s.meas.get((tp, lid))
    if r is None:
        return None
    state, ld, sa, _ = r
    return _value(state, ld, sa, nodal, tstm_u, s.children.get((tp, lid)))


def _value(state, ld, sa, nodal, tstm_u, children=None):
    if state == "":
        v = sa if nodal else ld
        return None if v < 0 else v
    if state == "TOO_SMALL_TO_MEASURE":
        return tstm_u
    if state in ("ABSENT", "COALESCED"):
        return 0
    if state == "SPLIT":
        if not children:
            return None
        total = 0
        for cst, cld, csa, cnod in children:
            v = _value(cst, cld, csa, cnod, tstm_u)
            if v is None:
                return None
            total += v
        return total
    return None  # NOT_EVALUATED


def pd_by_sum(S: int, N: int) -> bool:
    """R4.2 with exact arithmetic: ``S >= 1.2 N`` and ``S - N >= 5 mm``."""
    return 5 * S >= 6 * N and S - N >= PD_ABS_U


def target_response(values, nodal, B, N, after_cr: bool, opts: RecistOptions,
                    pr_established: bool):
    """Target response and the rule that fired (R4.1-R4.8, R7.5, R7.6).

    Returns (response, rule, sod or None, partial sum or None).
    """
    if not values:
        return "NA", "NA", None, None
    complete = all(v is not None for v in values)
    S = sum(v for v in values if v is not None)
    sod, partial = (S, None) if complete else (None, S)
    if complete and all((v < NODE_NORMAL_U) if n else (v == 0) for v, n in zip(values, nodal, strict=False)):
        return "CR", "CR", sod, partial
    if after_cr and opts.reappearance_after_cr == "PD" and any(
            v is not None and ((v >= NODE_NORMAL_U) if n else (v > 0))
            for v, n in zip(values, nodal, strict=False)):
        return "PD", "REAPPEAR", sod, partial
    if N is not None and pd_by_sum(S, N):
        return "PD", ("PD_SUM" if complete else "PD_PARTIAL"), sod, partial
    if not complete:
        return "NE", "NE_INCOMPLETE", sod, partial
    if B is None:
        return "NE", "NE_NO_BASELINE", sod, partial
    if 10 * S <= 7 * B:
        return "PR", "PR", sod, partial
    if opts.pr_continuation == "faq" and pr_established:
        return "PR", "PR_CONTINUED", sod, partial
    return "SD", "SD", sod, partial


def non_target_response(states, after_cr: bool, opts: RecistOptions):
    """Non-target response (R5.1-R5.7, R7.5); ``states`` has one state per non-target."""
    if not states:
        return "NA", "NA"
    if any(st in ("UNEQUIVOCAL_PROGRESSION", "FURTHER_INCREASE") for st in states):
        return "PD", "NT_PROGRESSION"
    if after_cr and opts.reappearance_after_cr == "PD" and any(st == "PRESENT" for st in states):
        return "PD", "REAPPEAR"
    if any(st == "NOT_EVALUATED" for st in states):
        return "NE", "NE"
    if all(st == "ABSENT" for st in states):
        return "CR", "CR"
    return "NON-CR/NON-PD", "PRESENT"


NEW_YES = ("UNEQUIVOCAL", "UNEQUIVOCAL_PROGRESSION", "FURTHER_INCREASE", "")


def new_lesion_status(rows, seen_unequivocal: set):
    """New-lesion status (R6.1): YES / EQUIVOCAL / NE / NO. Updates ``seen_unequivocal``."""
    yes = False
    eq = ne = False
    for lid, st, *_ in rows:
        if st in NEW_YES:
            yes = True
            seen_unequivocal.add(lid)
        elif st == "EQUIVOCAL":
            eq = True
        elif st == "NOT_EVALUATED":
            ne = True
    if yes or seen_unequivocal:
        return "YES"
    return "EQUIVOCAL" if eq else ("NE" if ne else "NO")


def overall_response(target: str, nt: str, new: str) -> str:
    """Overall response, RECIST 1.1 Tables 1 and 2 (R7.1, R7.2); EQUIVOCAL counts as NO."""
    if target == "PD" or nt == "PD" or new == "YES":
        return "PD"
    if target == "NA":
        if nt == "NA":
            return "NE"  # no baseline disease: out of scope (R7.3)
        return {"CR": "CR", "NON-CR/NON-PD": "NON-CR/NON-PD"}.get(nt, "NE")
    if target == "CR":
        return "CR" if nt in ("CR", "NA") else "PR"
    return target  # PR, SD or NE


def _confirmed_pr_before(records, opts: RecistOptions) -> bool:
    from .best import confirmed_flags
    seq = [(r["overall"], r["day"]) for r in records]
    cr, pr = confirmed_flags(seq, opts)
    return any(cr) or any(pr)


def evaluate_timepoints(s: SubjectData, opts: RecistOptions) -> list[dict]:
    """All post-baseline time-point records of one subject (R3-R7, then R6.3 re-labelling)."""
    tstm_u = int(round(opts.tstm_default_mm * SCALE))
    nodal = [n for _, n in s.targets]
    base_vals = [target_value(s, 0, lid, n, tstm_u) for lid, n in s.targets]
    B = sum(base_vals) if base_vals and all(v is not None for v in base_vals) else None
    N = B
    last_non_ne = None
    seen_new: set = set()
    recs: list[dict] = []
    for v in s.visits:
        rec = {"subject_id": s.subject_id, "tp": v.tp, "label": v.label, "performed": v.performed,
               "baseline_u": B, "nadir_u": None, "sod_u": None, "partial_u": None,
               "reclassified_by_tp": None, "n_targets": len(s.targets),
               "n_target_ne": 0}
        if not v.performed:
            rec.update(target="NE" if s.targets else "NA", target_rule="NOT_PERFORMED",
                       non_target="NE" if s.non_targets else "NA", nt_rule="NOT_PERFORMED",
                       new_lesions="NE", overall="NE", day=v.day_last)
            rec["overall_as_assessed"] = "NE"
            recs.append(rec)
            continue
        after_cr = last_non_ne == "CR"
        if opts.pr_continuation == "faq":
            if opts.confirmation_required:
                est = _confirmed_pr_before(recs, opts)
            else:
                est = any(r["overall"] in ("PR", "CR") for r in recs)
        else:
            est = False
        vals = [target_value(s, v.tp, lid, n, tstm_u) for lid, n in s.targets]
        t, trule, sod, partial = target_response(vals, nodal, B, N, after_cr, opts, est)
        states = []
        for lid in s.non_targets:
            r = s.meas.get((v.tp, lid))
            st = "NOT_EVALUATED" if r is None else (r[0] or "PRESENT")
            states.append(st)
        nt, ntrule = non_target_response(states, after_cr, opts)
        new = new_lesion_status(s.new.get(v.tp, []), seen_new)
        ov = overall_response(t, nt, new)
        rec.update(target=t, target_rule=trule, non_target=nt, nt_rule=ntrule, new_lesions=new,
                   overall=ov, overall_as_assessed=ov, sod_u=sod, partial_u=partial, nadir_u=N,
                   n_target_ne=sum(x is None for x in vals))
        # R10.1: PD dated at the earliest scan of the time point, other responses at the latest
        rec["day"] = v.day_first if ov == "PD" else v.day_last
        recs.append(rec)
        if sod is not None:
            N = sod if N is None else min(N, sod)  # R3.7: complete sums only
        if ov != "NE":
            last_non_ne = ov
    _equivocal_pass(s, recs, opts)
    return recs


def equivocal_first_sightings(s: SubjectData) -> dict[int, int]:
    """R6.3: {tp first seen equivocal: tp where confirmed unequivocal} for confirmed lesions."""
    first_eq: dict[str, int] = {}
    out: dict[int, int] = {}
    for v in s.visits:
        for lid, st, *_ in s.new.get(v.tp, []):
            if st == "EQUIVOCAL":
                first_eq.setdefault(lid, v.tp)
            elif st in NEW_YES and lid in first_eq:
                a = first_eq.pop(lid)
                out[a] = min(out.get(a, v.tp), v.tp)
    return out


def _equivocal_pass(s: SubjectData, recs: list[dict], opts: RecistOptions) -> None:
    sight = equivocal_first_sightings(s)
    for rec in recs:
        if rec["tp"] in sight:
            rec["reclassified_by_tp"] = sight[rec["tp"]]
            if opts.equivocal_new_lesion == "reclassify_first":
                rec["overall"] = "PD"
