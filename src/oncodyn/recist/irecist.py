"""iRECIST (R11), row-by-row: unconfirmed (iUPD) and confirmed (iCPD) progression, reset.

Source: Seymour L et al. "iRECIST: guidelines for response criteria for use in trials testing
immunotherapeutics", Lancet Oncol 2017;18:e143-e152 (Table 2: assignment of iUPD/iCPD; new-lesion
targets NLT, at most 5 and 2 per organ, never added to the target sum; confirmation by a further
>= 5 mm increase of the target or NLT sum, any further non-target/NLNT increase or any additional
new lesion, at the next assessment 4-8 weeks later) and the RECIST working-group FAQ (reset after
iUPD, scenario F). Conventions of the spec: the target nadir includes iUPD time points (R11.6);
iPFS is dated at the first iUPD of a confirmed block (R11.8, decision D12). The reset condition
after a new-lesion iUPD (C59, flagged unsure in the spec) is: targets not PD, no non-target
increase, and the NLT sum strictly below its value at the iUPD (or all new lesions absent).
"""

from __future__ import annotations

from .baseline import NODE_MEASURABLE_U, organ_group
from .best import best_overall
from .endpoints import duration_of_response, pfs
from .frames import bor_reason
from .options import RecistOptions
from .subject import SubjectData
from .tables import SCALE
from .timepoint import PD_ABS_U, evaluate_timepoints, overall_response, pd_by_sum

I_CODE = {"CR": "iCR", "PR": "iPR", "SD": "iSD", "NON-CR/NON-PD": "NON-iCR/NON-iUPD", "NE": "NE"}
CONFIRM_MIN_DAYS = 28  #: scans < 4 weeks after iUPD do not confirm it (Seymour 2017)


def _nlt_ids(s: SubjectData) -> set:
    """New-lesion targets (R11.2): first-recorded measurable new lesions, <= 5 and <= 2/organ."""
    chosen: list = []
    per_org: dict = {}
    for v in s.visits:
        for lid, st, ld, sa, nodal, organ in s.new.get(v.tp, []):
            if lid in chosen or st not in ("", "UNEQUIVOCAL"):
                continue
            size_ok = (sa >= NODE_MEASURABLE_U) if nodal else (ld >= 10 * SCALE)
            g = organ_group(organ, nodal)
            if size_ok and len(chosen) < 5 and per_org.get(g, 0) < 2:
                chosen.append(lid)
                per_org[g] = per_org.get(g, 0) + 1
    return set(chosen)


def evaluate_irecist(s: SubjectData, opts: RecistOptions):
    """iRECIST records, iBOR and iPFS of one subject (same shapes as the RECIST 1.1 path)."""
    r11_opts = opts.with_changes(criteria="RECIST1.1")
    recs = evaluate_timepoints(s, r11_opts)
    nlt = _nlt_ids(s)
    recorded: set = set()
    nlt_nadir = None
    block = None
    confirmed_day = None
    first_iupd_day = None
    for r, v in zip(recs, s.visits, strict=False):
        r["overall_recist11"] = r["overall"]
        r["nlt_sum_mm"] = float("nan")
        if not v.performed:
            r["overall"] = r["overall_as_assessed"] = "NE"
            continue
        rows = s.new.get(v.tp, [])
        present = {lid for lid, st, *_ in rows if st not in ("ABSENT", "NOT_EVALUATED",
                                                             "EQUIVOCAL")}
        vals = [(sa if nodal else ld) if st not in ("ABSENT",) else 0
                for lid, st, ld, sa, nodal, _ in rows if lid in nlt]
        nlt_sum = sum(x for x in vals if x >= 0) if vals else None
        if nlt_sum is not None:
            r["nlt_sum_mm"] = nlt_sum / SCALE
        nlnt_growth = any(st in ("UNEQUIVOCAL_PROGRESSION", "FURTHER_INCREASE")
                          for _, st, *_ in rows)
        nlnt_present = any(lid not in nlt for lid in present)
        additional = present - recorded
        nt_states = [(s.meas.get((v.tp, lid)) or ("NOT_EVALUATED",))[0] for lid in s.non_targets]
        nt_up = "UNEQUIVOCAL_PROGRESSION" in nt_states
        nt_more = nt_up or "FURTHER_INCREASE" in nt_states
        t_pd = r["target"] == "PD"
        sod = r["sod_u"] if r["sod_u"] is not None else r["partial_u"]
        nt_comp = "PD" if nt_more else r["non_target"]
        base_resp = overall_response(r["target"], nt_comp if nt_comp != "PD" else "NON-CR/NON-PD",
                                     "NO")
        if base_resp == "CR" and present:
            base_resp = "PR"  # iCR needs every lesion, new ones included, gone (R11.5)
        note = ""
        if confirmed_day is not None:
            out = "iCPD"
            note = "progression already confirmed"
        elif block is None:
            nlt_pd = (nlt_sum is not None and nlt_nadir is not None
                      and pd_by_sum(nlt_sum, nlt_nadir))
            trig = {"target": t_pd, "nt": nt_up, "new": bool(additional) or nlt_pd or nlnt_growth}
            if any(trig.values()):
                out = "iUPD"
                block = {"day": r["day"], "sod": sod, "nlt": nlt_sum, "trig": trig}
                first_iupd_day = first_iupd_day if first_iupd_day is not None else r["day"]
                note = "RECIST 1.1 progression in " + ", ".join(k for k, x in trig.items() if x) \
                    + " (unconfirmed, iUPD)"
            else:
                out = I_CODE.get(base_resp, "NE")
        else:
            early = (r["day"] is not None and block["day"] is not None
                     and r["day"] - block["day"] < CONFIRM_MIN_DAYS)
            why = []
            if sod is not None and block["sod"] is not None and sod - block["sod"] >= PD_ABS_U:
                why.append(f"target sum +{(sod - block['sod']) / SCALE:g} mm since iUPD")
            if (block["trig"]["nt"] and nt_more) or (not block["trig"]["nt"] and nt_up):
                why.append("further non-target increase")
            if additional:
                why.append("additional new lesion(s)")
            if nlt_sum is not None and block["nlt"] is not None and \
                    nlt_sum - block["nlt"] >= PD_ABS_U:
                why.append("new-lesion target sum +5 mm or more")
            if nlnt_growth:
                why.append("new non-target lesion increase")
            if not block["trig"]["target"] and t_pd:
                why.append("target PD in a category not progressing before")
            if why and (not early or additional):
                out = "iCPD"
                confirmed_day = block["day"]
                note = "iUPD confirmed: " + ", ".join(why)
            else:
                ok_new = (not block["trig"]["new"]) or not present or (
                    nlt_sum is not None and block["nlt"] is not None and nlt_sum < block["nlt"]
                    and not nlnt_present)
                if not early and not t_pd and not nt_more and ok_new and r["target"] != "NE":
                    out = I_CODE.get(base_resp, "NE")
                    block = None
                    note = "disease improved after iUPD (reset, R11.5)"
                else:
                    out = "iUPD"
                    note = "iUPD not confirmed yet" + (" (scan < 4 weeks after iUPD)"
                                                       if early else "")
        recorded |= present
        if nlt_sum is not None:
            nlt_nadir = nlt_sum if nlt_nadir is None else min(nlt_nadir, nlt_sum)
        r["overall"] = r["overall_as_assessed"] = out
        r["i_note"] = note
    # ---- iBOR (R11.7) and iPFS (R11.8)
    from .engine import _window
    for r in recs:
        r["bor_overall"] = r["overall"]
    win = _window(recs, s, opts, pd_code="iCPD")
    back = {"iCR": "CR", "iPR": "PR", "iSD": "SD", "NON-iCR/NON-iUPD": "NON-CR/NON-PD",
            "iCPD": "PD", "iUPD": "UPD", "NE": "NE"}
    seq = [(back[r["overall"]], r["day"]) for r in win]
    nt_only = not s.targets and bool(s.non_targets)
    bor, idx, conf = best_overall(seq, opts, nt_only)
    bor = {"CR": "iCR", "PR": "iPR", "SD": "iSD", "NON-CR/NON-PD": "NON-iCR/NON-iUPD",
           "PD": "iCPD", "NE": "NE"}[bor]
    if bor == "NE":
        ups = [i for i, (o, _) in enumerate(seq) if o == "UPD"]
        if ups:
            bor, idx = "iUPD", ups[0]
    bday = win[idx]["day"] if idx is not None else None
    if confirmed_day is not None and any(r["overall"] == "iCPD" for r in win):
        p = pfs(win, recs, s, opts, pd_code="-", pd_reason="iCPD (dated at iUPD)",
                pd_day=confirmed_day)
    elif opts.iupd_unconfirmed_is_event and first_iupd_day is not None:
        p = pfs(win, recs, s, opts, pd_code="-", pd_reason="iUPD (unconfirmed)",
                pd_day=first_iupd_day)
    else:
        p = pfs(win, recs, s, opts, pd_code="-")
    p.update(duration_of_response(bor, bday, p))
    base = win[0]["baseline_u"] if win else None
    pcts = [(r["sod_u"] - base) / base * 100 for r in win if r["sod_u"] is not None and base]
    b = {"bor": bor, "bor_tp": win[idx]["tp"] if idx is not None else None, "bor_day": bday,
         "confirmed": conf, "best_pct_change": round(min(pcts), 2) if pcts else float("nan"),
         "reason": bor_reason(bor, conf, bday, opts, nt_only)}
    return recs, b, p, []
