"""Best overall response (R8) and its confirmation (R8.3, R9.4), reference implementation.

Source: Eisenhauer EA et al., Eur J Cancer 2009;45:228-247, section 4.4 and Table 3 (best overall
response when confirmation of CR/PR is required; SD minimum duration); RECIST FAQ on NE between a
response and its confirmation. Conventions (docs/recist.md#r14): SD minimum compares dates
``day >= min_sd_days - sd_window_tolerance_days`` (D9); at most ``max_ne_between_confirmation`` NE
in between (D10); NON-CR/NON-PD needs the SD minimum (D8); BOR date = first time point of the
BOR category (R8.6).
"""

from __future__ import annotations

from .options import RecistOptions

SD_LIKE = ("CR", "PR", "SD", "NON-CR/NON-PD")


def confirmed_flags(seq, opts: RecistOptions):
    """For each (overall, day) of ``seq``: (CR confirmed, CR-or-PR confirmed as a response).

    A CR at i is confirmed by a later CR >= ``confirm_min_days`` later with only CR/NE between;
    a PR (or CR) at i by a later PR/CR with only PR/CR/NE (and SD if ``accept_sd_between``)
    between; at most ``max_ne_between_confirmation`` NE in between (R8.3).
    """
    n = len(seq)
    cr = [False] * n
    pr = [False] * n
    for i, (oi, di) in enumerate(seq):
        if oi not in ("CR", "PR") or di is None:
            continue
        for want_cr in ((True, False) if oi == "CR" else (False,)):
            ne = 0
            ok = False
            for oj, dj in seq[i + 1:]:
                good = (oj == "CR") if want_cr else (oj in ("CR", "PR"))
                if good and dj is not None and dj - di >= opts.confirm_min_days:
                    ok = True
                    break
                if good:
                    continue
                if oj == "NE":
                    ne += 1
                    if ne > opts.max_ne_between_confirmation:
                        break
                    continue
                if oj == "SD" and not want_cr and opts.accept_sd_between:
                    continue
                break
            if want_cr:
                cr[i] = ok
            else:
                pr[i] = ok
    return cr, pr


def best_overall(seq, opts: RecistOptions, nt_only: bool):
    """BOR over the evaluation window ``seq`` of (overall, day) (R8.2/R8.3).

    Returns (bor, index of the BOR time point or None, confirmed).
    """
    sd_min = opts.min_sd_days - opts.sd_window_tolerance_days
    sd_label = "NON-CR/NON-PD" if nt_only else "SD"
    cr, pr = confirmed_flags(seq, opts)
    if opts.confirmation_required:
        for i in range(len(seq)):
            if cr[i]:
                return "CR", i, True
        for i in range(len(seq)):
            if pr[i]:
                return "PR", i, True
    else:
        for code in ("CR", "PR"):
            for i, (o, _) in enumerate(seq):
                if o == code:
                    return code, i, (cr[i] if code == "CR" else pr[i])
    for i, (o, d) in enumerate(seq):
        if o in SD_LIKE and d is not None and d >= sd_min:
            return sd_label, i, False
    for i, (o, _) in enumerate(seq):
        if o == "PD":
            return "PD", i, False
    return "NE", None, False


def cr_followed_by_non_cr(recs: list[dict], opts: RecistOptions) -> list[str]:
    """R8.5: a fully evaluated PR/SD after an earlier CR (data query). Adjusts the records'
    ``bor_overall`` in place according to ``cr_followed_by_non_cr`` and returns warnings."""
    warnings = []
    cr_idx = []
    for i, r in enumerate(recs):
        o = r["bor_overall"]
        if o == "CR":
            cr_idx.append(i)
        elif o in ("PR", "SD") and cr_idx and r["target"] != "NE" and r["non_target"] != "NE":
            warnings.append(f"tp {r['tp']}: {o} after CR at tp {recs[cr_idx[0]]['tp']} "
                            f"(R8.5, option cr_followed_by_non_cr={opts.cr_followed_by_non_cr})")
            if opts.cr_followed_by_non_cr == "PD":
                r["bor_overall"] = "PD"
            elif opts.cr_followed_by_non_cr == "NE":
                r["bor_overall"] = "NE"
            else:
                for k in cr_idx:
                    recs[k]["bor_overall"] = "PR"
                cr_idx = []
    return warnings
