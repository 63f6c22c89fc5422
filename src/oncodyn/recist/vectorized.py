"""NumPy engine for the common RECIST 1.1 case, vectorised across patients.

Measurements become arrays of shape (patients, visits, targets) in integer hundredths of a mm;
every rule of R3-R10 is an array expression over patients. Only state that truly carries from
visit to visit (nadir = running minimum of complete sums, "most recent non-NE response was CR" for
R7.5, "PR established" for the FAQ policy) is updated in a loop over the (few) visits, each step
vectorised over all patients; the confirmation of R8.3 loops over visit pairs, again vectorised.

Which inputs take which path (see also :func:`supported`):

* vectorised: RECIST 1.1 with targets measured / too small to measure / absent / not evaluated,
  any non-target states, unequivocal or not-evaluated new lesions, not-performed assessments,
  confirmation or not, new therapy, death, symptomatic deterioration, missed-visit censoring;
* row-by-row reference (fallback): iRECIST; split or coalesced lesions; equivocal new lesions
  (R6.3 re-labelling); a time point with scans on several dates (R10.1); ``pr_continuation="faq"``
  together with ``confirmation_required``; subjects where a fully evaluated PR/SD follows a CR
  (R8.5 data query, detected here and handed back).

The results are identical to the reference engine (checked by ``oncodyn bench recist`` and the
property tests).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .confirm import best_overall
from .frames import bor_frame, bor_reason, pfs_frame, timepoint_frame
from .options import RecistOptions
from .tables import MISSING, ROLES, SCALE, STATES, Prepared, _lexical_rank

T_CODES = np.array(["NA", "CR", "PR", "SD", "PD", "NE", "NON-CR/NON-PD"], dtype=object)
NA, CR, PR, SD, PD, NE, NN = range(7)
NEW_CODES = np.array(["NO", "YES", "NE"], dtype=object)
T_RULES = np.array(["NA", "CR", "REAPPEAR", "PD_SUM", "PD_PARTIAL", "NE_INCOMPLETE",
                    "NE_NO_BASELINE", "PR", "PR_CONTINUED", "SD", "NOT_PERFORMED"], dtype=object)
NT_RULES = np.array(["NA", "NT_PROGRESSION", "REAPPEAR", "NE", "CR", "PRESENT", "NOT_PERFORMED"],
                    dtype=object)


def supported(p: Prepared, flags: pd.DataFrame, opts: RecistOptions) -> dict:
    """{subject_id: True if the NumPy engine handles it} (see the module docstring)."""
    if opts.irecist or (opts.pr_continuation == "faq" and opts.confirmation_required):
        return {}
    ok = ~(flags["rare"] | flags["multi_date"])
    return dict(zip(ok.index, ok.to_numpy(dtype=bool).tolist(), strict=True))


def _slots(subj: np.ndarray, key: np.ndarray):
    """Rank of ``key`` within each subject (rows sorted by subject then key)."""
    if len(subj) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((key, subj))
    s = subj[order]
    start = np.r_[0, np.flatnonzero(s[1:] != s[:-1]) + 1]
    first = np.zeros(len(s), dtype=np.int64)
    first[start] = start
    first = np.maximum.accumulate(first)
    rank = np.empty(len(s), dtype=np.int64)
    rank[order] = np.arange(len(s)) - first
    return rank


def evaluate_vectorized(p: Prepared, ids: list, opts: RecistOptions):
    """Evaluate ``ids`` with the NumPy engine.

    Returns ((timepoints, best_response, pfs), fallback_ids, (tp_rows, subject_rows)) where
    ``fallback_ids`` are subjects to re-evaluate with the reference engine (R8.5 sequences) and
    the last pair gives, for each row of the time-point frame and of the per-subject frames, the
    index of its subject in ``ids``.
    """
    P = len(ids)
    code = pd.Index(ids)
    les = p.lesions
    # subject position of every lesion row, through the integer subject codes (-1 = not in ids)
    sc = les["_sc"].to_numpy()
    ncodes = int(sc.max()) + 1 if len(sc) else 0
    pos = np.full(ncodes, -1, np.int64)
    first_row = np.full(ncodes, -1, np.int64)
    first_row[sc[::-1]] = np.arange(len(sc))[::-1]
    row_sids = pd.Index(les["subject_id"].take(first_row[first_row >= 0]).to_numpy())
    pos[first_row >= 0] = code.get_indexer(row_sids)
    l_s_all = pos[sc] if len(sc) else np.zeros(0, np.int64)
    if (l_s_all < 0).any():
        keep_rows = l_s_all >= 0
        les = les[keep_rows]
        l_s = l_s_all[keep_rows]
    else:
        l_s = l_s_all
    asm = p.assessments
    a = asm[(asm["tp"] > 0).to_numpy()]
    # subject position of each assessment via its distinct ids only (-1 = not in ids)
    a_codes, a_uniq = pd.factorize(a["subject_id"])
    a_s = code.get_indexer(a_uniq)[a_codes] if len(a) else np.zeros(0, np.int64)
    if (a_s < 0).any():
        a = a[a_s >= 0]
        a_s = a_s[a_s >= 0]
    sub = p.subjects.set_index("subject_id").reindex(code)
    # ---- visits (post-baseline assessments)
    a_tp = a["tp"].to_numpy()
    a_v = _slots(a_s, a_tp)
    V = int(a_v.max()) + 1 if len(a_v) else 1
    vexist = np.zeros((P, V), bool)
    vexist[a_s, a_v] = True
    vtp = np.zeros((P, V), np.int64)
    vtp[a_s, a_v] = a_tp
    vday = np.full((P, V), np.nan)
    vday[a_s, a_v] = a["day_last"].to_numpy(dtype=float)
    vperf = np.zeros((P, V), bool)
    vperf[a_s, a_v] = a["performed"].to_numpy(dtype=bool)
    vlabel = np.full((P, V), "", dtype=object)
    vlabel[a_s, a_v] = a["label"].to_numpy(dtype=object)
    # map (subject, tp) -> visit slot (baseline -> -1), through a dense (subject, tp) table
    l_tp = les["tp"].to_numpy()
    ntp = int(max(l_tp.max() if len(l_tp) else 0, a_tp.max() if len(a_tp) else 0)) + 1
    l_v = np.full(len(les), -1, np.int64)
    post = l_tp > 0
    if post.any():
        slot_tab = np.full((P, ntp), -1, np.int64)
        slot_tab[a_s, a_tp] = a_v
        l_v[post] = slot_tab[l_s[post], l_tp[post]]
    role = les["_role"].to_numpy()
    state = les["_state"].to_numpy()
    nodal = les["nodal"].to_numpy()
    tstm_u = int(round(opts.tstm_default_mm * SCALE))
    R_T, R_NT, R_NEW = (ROLES.index(r) for r in ("TARGET", "NON-TARGET", "NEW"))
    st_code = {name: i for i, name in enumerate(STATES)}
    # ---- targets
    it = np.flatnonzero(role == R_T)
    t_s = l_s[it]
    lc = les["_lc"].to_numpy()
    nlc = int(lc.max()) + 1 if len(lc) else 1
    # lexical rank of the lesion ids so that target slots follow the sorted lesion ids
    lrow = np.full(nlc, -1, np.int64)
    lrow[lc[::-1]] = np.arange(len(lc))[::-1]
    present = np.flatnonzero(lrow >= 0)
    lnames = les["lesion_id"].take(lrow[present]).to_numpy(dtype=object)
    lrank = np.zeros(nlc, np.int64)
    lrank[present] = _lexical_rank(lnames)
    t_lid = lrank[lc[it]]
    tkey_code = t_s * nlc + t_lid
    ukey = np.unique(tkey_code)
    tk_s = ukey // nlc
    tk_rank = _slots(tk_s, ukey % nlc)
    K = int(tk_rank.max()) + 1 if len(tk_rank) else 0
    t_k = tk_rank[np.searchsorted(ukey, tkey_code)]
    texist = np.zeros((P, K), bool)
    texist[tk_s, tk_rank] = True
    tnodal = np.zeros((P, K), bool)
    tnodal[t_s, t_k] = nodal[it]
    st = state[it]
    ld = les["ld_u"].to_numpy()[it]
    sa = les["sa_u"].to_numpy()[it]
    meas = np.where(nodal[it], sa, ld)
    value = np.select([st == st_code[""], st == st_code["TOO_SMALL_TO_MEASURE"],
                       st == st_code["ABSENT"]], [meas, tstm_u, 0], -1)
    val = np.full((P, V + 1, K), -1, np.int64)  # -1 = not evaluable (missing row included)
    val[t_s, l_v[it] + 1, t_k] = value
    has_t = texist.any(1)
    base = val[:, 0, :]
    b_ok = has_t & ~np.any(texist & (base < 0), 1)
    B = np.where(b_ok, np.where(texist, base, 0).sum(1), 0)
    # ---- non-targets
    inn = np.flatnonzero(role == R_NT)
    n_nt = np.bincount(np.unique(l_s[inn] * nlc + lc[inn]) // nlc, minlength=P)[:P]
    nsel = inn[l_v[inn] >= 0]
    ns, nv, nst = l_s[nsel], l_v[nsel], state[nsel]
    def acc(mask):
        out = np.zeros((P, V), np.int64)
        np.add.at(out, (ns[mask], nv[mask]), 1)
        return out
    nt_up = acc((nst == st_code["UNEQUIVOCAL_PROGRESSION"])
                | (nst == st_code["FURTHER_INCREASE"])) > 0
    nt_present = acc((nst == st_code["PRESENT"]) | (nst == st_code[""])) > 0
    nt_abs = acc(nst == st_code["ABSENT"])
    nt_rows = acc(np.ones(len(nst), bool))
    nt_ne = (acc(nst == st_code["NOT_EVALUATED"]) > 0) | (nt_rows < n_nt[:, None])
    # ---- new lesions
    inw = np.flatnonzero((role == R_NEW) & (l_v >= 0))
    ws, wv, wst = l_s[inw], l_v[inw], state[inw]
    new_yes = np.zeros((P, V), np.int64)
    yes_codes = [st_code[x] for x in ("", "UNEQUIVOCAL", "UNEQUIVOCAL_PROGRESSION",
                                      "FURTHER_INCREASE")]
    np.add.at(new_yes, (ws, wv), np.isin(wst, yes_codes).astype(np.int64))
    new_yes = np.maximum.accumulate(new_yes > 0, axis=1) if V else new_yes > 0
    new_ne = np.zeros((P, V), np.int64)
    np.add.at(new_ne, (ws, wv), (wst == st_code["NOT_EVALUATED"]).astype(np.int64))
    new_ne = new_ne > 0
    # ---- time-point loop (vectorised over patients)
    tgt = np.zeros((P, V), np.int8)
    trule = np.zeros((P, V), np.int8)
    ntc = np.zeros((P, V), np.int8)
    ntrule = np.zeros((P, V), np.int8)
    newc = np.zeros((P, V), np.int8)
    ov = np.zeros((P, V), np.int8)
    sod = np.full((P, V), MISSING, np.int64)
    part = np.full((P, V), MISSING, np.int64)
    nad = np.full((P, V), MISSING, np.int64)
    nne = np.zeros((P, V), np.int64)
    N = np.where(b_ok, B, MISSING)
    after_cr = np.zeros(P, bool)
    est = np.zeros(P, bool)
    reap_on = opts.reappearance_after_cr == "PD"
    faq = opts.pr_continuation == "faq"
    for v in range(V):
        x = val[:, v + 1, :]
        ev = texist & (x >= 0)
        ne_cnt = (texist & (x < 0)).sum(1)
        complete = ne_cnt == 0
        S = np.where(ev, x, 0).sum(1)
        crm = has_t & complete & np.all(~texist | np.where(tnodal, x < 1000, x == 0), 1)
        reap = after_cr & reap_on & np.any(ev & np.where(tnodal, x >= 1000, x > 0), 1)
        nok = N != MISSING
        pds = nok & (5 * S >= 6 * N) & (S - N >= 5 * SCALE)
        prm = 10 * S <= 7 * B
        conds = [~has_t, crm, reap, pds & complete, pds, ~complete, ~b_ok, prm, faq & est]
        r = np.select(conds, [0, 1, 2, 3, 4, 5, 6, 7, 8], 9)
        t = np.array([NA, CR, PD, PD, PD, NE, NE, PR, PR, SD])[r]
        has_nt = n_nt > 0
        ncond = [~has_nt, nt_up[:, v], after_cr & reap_on & nt_present[:, v], nt_ne[:, v],
                 nt_abs[:, v] == n_nt]
        nr = np.select(ncond, [0, 1, 2, 3, 4], 5)
        n = np.array([NA, PD, PD, NE, CR, NN])[nr]
        nw = np.where(new_yes[:, v], 1, np.where(new_ne[:, v], 2, 0))
        o = np.select([(t == PD) | (n == PD) | (nw == 1),
                       (t == NA) & (n == NA), (t == NA) & (n == CR), (t == NA) & (n == NN),
                       t == NA, (t == CR) & ((n == CR) | (n == NA)), t == CR],
                      [PD, NE, CR, NN, NE, CR, PR], t)
        perf = vperf[:, v] & vexist[:, v]
        tgt[:, v] = np.where(perf, t, np.where(has_t, NE, NA))
        trule[:, v] = np.where(perf, r, 10)
        ntc[:, v] = np.where(perf, n, np.where(has_nt, NE, NA))
        ntrule[:, v] = np.where(perf, nr, 6)
        newc[:, v] = np.where(perf, nw, 2)
        ov[:, v] = np.where(perf, o, NE)
        sod[:, v] = np.where(perf & has_t & complete, S, MISSING)
        part[:, v] = np.where(perf & has_t & ~complete, S, MISSING)
        nad[:, v] = np.where(perf, N, MISSING)
        nne[:, v] = np.where(perf, ne_cnt, 0)
        upd = perf & has_t & complete
        N = np.where(upd, np.where(nok, np.minimum(N, S), S), N)
        nn_ = perf & (o != NE)
        after_cr = np.where(nn_, o == CR, after_cr)
        est = est | (perf & ((o == PR) | (o == CR)))
    # ---- window (R8.1)
    ther = sub["new_anticancer_therapy_day"].to_numpy(dtype=float)
    eot = sub["end_of_treatment_day"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        excl = vexist & opts.exclude_after_new_therapy & (vday > ther[:, None])
        postx = vexist & (not opts.include_post_treatment) & (vday > eot[:, None])
    inwin0 = vexist & ~excl & ~postx
    ispd = inwin0 & (ov == PD)
    before_pd = np.cumsum(ispd, 1) - ispd > 0
    win = inwin0 & ~before_pd
    # R8.5 sequences -> reference engine
    cr_before = (np.cumsum(win & (ov == CR), 1) - (win & (ov == CR))) > 0
    r85 = win & cr_before & ((ov == PR) | (ov == SD)) & (tgt != NE) & (ntc != NE)
    fallback_mask = r85.any(1)
    # ---- confirmation (R8.3) and BOR (R8.2): one implementation, shared with the simulator
    nt_only = ~has_t & (n_nt > 0)
    bor_code, bidx, cr_c, pr_c = best_overall(ov, vday, win, nt_only, opts)
    bor = T_CODES[bor_code]
    i_pd = np.where((win & (ov == PD)).any(1), np.argmax(win & (ov == PD), 1), -1)
    rows = np.arange(P)
    bsafe = np.maximum(bidx, 0)
    conf = np.where(bor == "CR", cr_c[rows, bsafe], np.where(bor == "PR", pr_c[rows, bsafe],
                                                               False)) & (bidx >= 0)
    bday = np.where(bidx >= 0, vday[rows, bsafe], np.nan)
    btp = np.where(bidx >= 0, vtp[rows, bsafe], np.nan)
    ok_pct = win & (sod != MISSING) & (B > 0)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(ok_pct, (sod - B[:, None]) / B[:, None] * 100, np.inf)
    pmin = pct.min(1) if V else np.full(P, np.inf)
    best = np.array([round(float(x), 2) if np.isfinite(x) else np.nan for x in pmin])
    # ---- PFS (R10)
    i_pdw = i_pd
    pd_day = np.where(i_pdw >= 0, vday[rows, np.maximum(i_pdw, 0)], np.nan)
    death = sub["death_day"].to_numpy(dtype=float)
    sym = sub["symptomatic_deterioration_day"].to_numpy(dtype=float)
    thx = ther if opts.exclude_after_new_therapy else np.full(P, np.nan)
    with np.errstate(invalid="ignore"):
        d_ok = ~np.isnan(death) & (np.isnan(thx) | (death <= thx))
        s_ok = opts.clinical_progression_is_event & ~np.isnan(sym) & (np.isnan(thx) | (sym <= thx))
    cand = np.stack([pd_day, np.where(d_ok, death, np.nan), np.where(s_ok, sym, np.nan)], 1)
    has_ev = ~np.all(np.isnan(cand), 1)
    cmin = np.where(np.isnan(cand), np.inf, cand)
    which = np.argmin(cmin, 1)
    ev_day = cmin[rows, which]
    ev_reason = np.array(["PD", "DEATH", "SYMPTOMATIC_DETERIORATION"], dtype=object)[which]
    adequate = win & np.isin(ov, [CR, PR, SD, NN]) & ~np.isnan(vday)
    with np.errstate(invalid="ignore"):
        adq_before = adequate & (vday <= ev_day[:, None])
    last_b = np.where(adq_before.any(1), V - 1 - np.argmax(adq_before[:, ::-1], 1), -1)
    last_a = np.where(adequate.any(1), V - 1 - np.argmax(adequate[:, ::-1], 1), -1)
    missed_cens = np.zeros(P, bool)
    if opts.missed_visit_censoring.enabled:
        start_tp = np.where(last_b >= 0, vtp[rows, np.maximum(last_b, 0)], 0)
        run = np.zeros(P, np.int64)
        mxr = np.zeros(P, np.int64)
        going = np.ones(P, bool)
        for v in range(V):
            act = vexist[:, v] & (vtp[:, v] > start_tp)
            with np.errstate(invalid="ignore"):
                stop = act & ~np.isnan(vday[:, v]) & (vday[:, v] >= ev_day)
            going &= ~stop
            act &= going
            run = np.where(act, np.where(ov[:, v] == NE, run + 1, 0), run)
            mxr = np.maximum(mxr, np.where(act, run, 0))
        missed_cens = has_ev & (mxr > opts.missed_visit_censoring.max_missed)
    lb_day = np.where(last_b >= 0, vday[rows, np.maximum(last_b, 0)], 0)
    la_day = np.where(last_a >= 0, vday[rows, np.maximum(last_a, 0)], 0)
    ther_on = opts.exclude_after_new_therapy & ~np.isnan(ther)
    pfs_day = np.select([missed_cens, has_ev], [lb_day, ev_day], la_day).astype(np.int64)
    pfs_event = has_ev & ~missed_cens
    pfs_reason = np.select(
        [missed_cens, has_ev, last_a >= 0],
        ["CENSORED_MISSED_VISITS", ev_reason,
         np.where(ther_on, "CENSORED_NEW_THERAPY", "CENSORED_LAST_ADEQUATE_ASSESSMENT")],
        "CENSORED_REFERENCE_DATE").astype(object)
    resp = np.isin(bor, ["CR", "PR"])
    dor_days = np.where(resp, np.maximum(pfs_day, np.nan_to_num(bday)) - bday + 1, np.nan)
    dor_event = np.where(resp, pfs_event, None).astype(object)
    # ---- frames
    keep = ~fallback_mask
    ref = sub["reference_date"].to_numpy(dtype="datetime64[ns]")
    m = vexist & keep[:, None]
    ps, pv = np.nonzero(m)
    rec_day = vday[ps, pv]
    ov_f = ov[ps, pv]
    def text(values, codes):  # pandas string column from a few values and integer codes
        return pd.array(np.asarray(values, dtype=object), dtype="str").take(
            np.asarray(codes, dtype=np.int64))

    tp_cols = {
        "subject_id": text(ids, ps), "tp": vtp[ps, pv],
        "label": vlabel[ps, pv], "day": rec_day, "performed": vperf[ps, pv],
        "target": text(T_CODES, tgt[ps, pv]), "target_rule": text(T_RULES, trule[ps, pv]),
        "non_target": text(T_CODES, ntc[ps, pv]), "nt_rule": text(NT_RULES, ntrule[ps, pv]),
        "new_lesions": text(NEW_CODES, newc[ps, pv]), "overall": text(T_CODES, ov_f),
        "overall_as_assessed": text(T_CODES, ov_f), "sod_u": sod[ps, pv], "partial_u": part[ps, pv],
        "baseline_u": np.where(b_ok, B, MISSING)[ps], "nadir_u": nad[ps, pv],
        "reclass_tp": np.full(len(ps), -1), "n_ne": nne[ps, pv],
        "n_t": texist.sum(1)[ps], "excluded": excl[ps, pv], "in_window": win[ps, pv],
        "ref": ref[ps],
    }
    k = np.flatnonzero(keep)
    bor_cols = {"subject_id": np.asarray(ids, dtype=object)[k], "bor": bor[k],
                "bor_tp": btp[k], "bor_day": bday[k], "confirmed": conf[k],
                "best_pct_change": best[k],
                "reason": [bor_reason(b, c, None if d != d else int(d), opts, nto)
                           for b, c, d, nto in zip(bor[k], conf[k], bday[k], nt_only[k], strict=False)],
                "ref": ref[k]}
    pfs_cols = {"subject_id": np.asarray(ids, dtype=object)[k], "event": pfs_event[k],
                "day": pfs_day[k], "reason": pfs_reason[k], "dor_event": dor_event[k],
                "dor_days": dor_days[k], "response_start_day": np.where(resp, bday, np.nan)[k],
                "ref": ref[k]}
    out = (timepoint_frame(tp_cols), bor_frame(bor_cols),
           pfs_frame(pfs_cols, opts.pfs_day_offset))
    # rows' subject indices into ``ids`` (time points, then best-response/PFS rows), so the
    # caller can order frames without hashing subject-id strings again
    return out, [ids[i] for i in np.flatnonzero(fallback_mask)], (ps, k)
