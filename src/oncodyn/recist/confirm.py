"""Confirmation of responses and best overall response on arrays (docs/recist.md#r8-2 to #r8-4).

The one implementation of these rules, used by the table engine (:mod:`.vectorized`) and by the
simulator's fast path (:mod:`oncodyn.simulate.recist_arrays`), so that both give the same best
overall response for the same scans (Eisenhauer EA et al. (2009) Eur J Cancer 45:228, RECIST 1.1
section 4.4 and Table 3):

* R8.3 confirmation: a CR (PR) at visit *i* is confirmed by a later visit *j* in the evaluation
  window at least ``confirm_min_days`` after it with CR (CR or PR); between *i* and *j* at most
  ``max_ne_between_confirmation`` NE visits, and an SD breaks the chain unless
  ``accept_sd_between``; a visit with a lower response than wanted (or PD) ends the search;
* R8.4 stable disease: a CR/PR/SD/NON-CR/NON-PD visit at or after
  ``min_sd_days - sd_window_tolerance_days``;
* R8.2 best overall response: CR > PR (confirmed when ``confirmation_required``) > SD (or
  NON-CR/NON-PD for subjects followed on non-target disease only) > PD > NE.

Codes (shared with :mod:`.vectorized`): NA 0, CR 1, PR 2, SD 3, PD 4, NE 5, NON-CR/NON-PD 6.
Arrays are (patients, visits); ``win`` marks visits inside the evaluation window (existing,
before new therapy, up to and including the first PD).
"""

from __future__ import annotations

import numpy as np

from .options import RecistOptions

NA, CR, PR, SD, PD, NE, NN = range(7)
BOR_CODES = ("NA", "CR", "PR", "SD", "PD", "NE", "NON-CR/NON-PD")


def confirmations(ov: np.ndarray, day: np.ndarray, win: np.ndarray,
                  opts: RecistOptions) -> tuple[np.ndarray, np.ndarray]:
    """(cr_confirmed, pr_confirmed), boolean (P, V): the visit's CR (CR or PR) is confirmed (R8.3).

    ``day``: float assessment days (NaN where no date); visits outside ``win`` never confirm
    nor are confirmed.
    """
    P, V = ov.shape
    dayw = np.where(win, day, np.nan)
    cr_c = np.zeros((P, V), bool)
    pr_c = np.zeros((P, V), bool)
    mx = opts.max_ne_between_confirmation
    is_cr = ov == CR
    is_crpr = is_cr | (ov == PR)
    for i in range(V):
        for want_cr in (True, False):
            good_all = is_cr if want_cr else is_crpr
            cand = win[:, i] & good_all[:, i] & ~np.isnan(dayw[:, i])
            if not cand.any():  # nothing to confirm at this visit (skipping changes no result)
                continue
            alive = cand.copy()
            ok = np.zeros(P, bool)
            ne = np.zeros(P, np.int64)
            for j in range(i + 1, V):
                if not alive.any():
                    break
                oj = ov[:, j]
                inj = win[:, j]
                good = good_all[:, j]
                with np.errstate(invalid="ignore"):
                    far = dayw[:, j] - dayw[:, i] >= opts.confirm_min_days
                hit = alive & inj & good & far
                ok |= hit
                alive &= ~hit & inj
                isne = oj == NE
                ne = ne + (alive & isne)
                keep = good | (isne & (ne <= mx))
                if not want_cr and opts.accept_sd_between:
                    keep |= oj == SD
                alive &= keep
            if want_cr:
                cr_c[:, i] = ok
            else:
                pr_c[:, i] = ok
    return cr_c, pr_c


def _first(mask: np.ndarray) -> np.ndarray:
    return np.where(mask.any(1), np.argmax(mask, 1), -1)


def best_overall(ov: np.ndarray, day: np.ndarray, win: np.ndarray, nt_only: np.ndarray,
                 opts: RecistOptions) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Best overall response (R8.2) per patient.

    Parameters
    ----------
    ov : (P, V) int overall time-point codes (this module's codes)
    day : (P, V) float assessment days (days since the reference date; NaN = no date)
    win : (P, V) bool visits in the evaluation window
    nt_only : (P,) bool subjects without target lesions but with non-target disease
    opts : RECIST options (confirmation_required, confirm_min_days, max_ne_between_confirmation,
        accept_sd_between, min_sd_days, sd_window_tolerance_days)

    Returns
    -------
    bor : (P,) int8 code (CR, PR, SD, NN, PD or NE)
    bidx : (P,) visit index that gave the BOR (-1 = none)
    cr_c, pr_c : (P, V) confirmation flags of :func:`confirmations`
    """
    cr_c, pr_c = confirmations(ov, day, win, opts)
    if opts.confirmation_required:
        i_cr, i_pr = _first(win & cr_c), _first(win & pr_c)
    else:
        i_cr, i_pr = _first(win & (ov == CR)), _first(win & (ov == PR))
    sd_min = opts.min_sd_days - opts.sd_window_tolerance_days
    with np.errstate(invalid="ignore"):
        i_sd = _first(win & np.isin(ov, [CR, PR, SD, NN]) & (day >= sd_min))
    i_pd = _first(win & (ov == PD))
    bor = np.select([i_cr >= 0, i_pr >= 0, (i_sd >= 0) & nt_only, i_sd >= 0, i_pd >= 0],
                    [CR, PR, NN, SD, PD], NE).astype(np.int8)
    bidx = np.select([i_cr >= 0, i_pr >= 0, i_sd >= 0, i_pd >= 0], [i_cr, i_pr, i_sd, i_pd], -1)
    return bor, bidx, cr_c, pr_c
