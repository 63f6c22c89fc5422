"""RECIST 1.1 on arrays, vectorised across patients (the simulator's fast path).

Rules (Eisenhauer EA et al. (2009) Eur J Cancer 45:228, RECIST 1.1):

* baseline targets: measurable lesions (longest diameter >= 10 mm; lymph nodes short axis
  >= 15 mm), at most 5 in all and 2 per organ, largest first; other visible lesions are
  non-targets (nodes need short axis >= 10 mm to be pathological);
* target response: CR = every target gone (nodes < 10 mm short axis); PR = sum of diameters
  (SOD) <= 70% of baseline; PD = SOD >= 120% of the nadir (smallest previous SOD, baseline
  included) and >= 5 mm above it; SD otherwise;
* overall: PD if target PD, a new lesion or unequivocal non-target progression; CR if target
  CR and non-targets absent; PR if target PR, or target CR with non-targets present; else SD;
  after a CR, the reappearance of any target or non-target is PD (RECIST FAQ); patients
  without targets are followed on non-targets alone (CR, or NON-CR/NON-PD coded SD);
* sizes are integer hundredths of a mm, thresholds compared exactly (oncodyn.recist R0.3);
* best overall response with confirmation (needed for single-arm response endpoints and
  reported as "best confirmed" in POPLAR, BCOR): CR/PR count only if a later scan at least
  ``confirm_days`` (28 d) later, before progression, shows CR (for CR) or at least PR (for PR);
  SD needs a scan at or after ``min_sd_days``; otherwise PD if progression was seen, else NE.

Codes: NE = 0, PD = 1, SD = 2, PR = 3, CR = 4. The lesion tables written by
:meth:`oncodyn.simulate.SimulationResult.lesions_frame` carry the same scans in the RECIST engine's input format
(:mod:`oncodyn.recist`) so results can be recomputed there; with the options of
``tests/simulate/test_sim_consistency.py`` (confirmation required, SD or NE allowed between a
response and its confirmation) the engine reproduces these codes patient by patient.
"""

from __future__ import annotations

import numpy as np

NE, PD, SD, PR, CR = 0, 1, 2, 3, 4
CODES = ("NE", "PD", "SD", "PR", "CR")


def select_targets(measured: np.ndarray, visible: np.ndarray, nodal: np.ndarray,
                   organ: np.ndarray, *, max_targets: int = 5, max_per_organ: int = 2,
                   min_mm: float = 10.0, min_node_mm: float = 15.0,
                   n_organs: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Baseline target and non-target masks, shape (n, L) each."""
    n, L = measured.shape
    measurable = visible & np.where(nodal, measured >= min_node_mm, measured >= min_mm)
    key = np.where(measurable, measured, -np.inf)
    order = np.argsort(-key, axis=1, kind="stable")
    rows = np.arange(n)
    per_organ = np.zeros((n, n_organs), dtype=np.int16)
    count = np.zeros(n, dtype=np.int16)
    target = np.zeros((n, L), dtype=bool)
    for j in range(L):
        slot = order[:, j]
        ok = measurable[rows, slot]
        org = organ[rows, slot]
        ok &= (per_organ[rows, org] < max_per_organ) & (count < max_targets)
        target[rows[ok], slot[ok]] = True
        per_organ[rows[ok], org[ok]] += 1
        count += ok
    nontarget = visible & ~target & np.where(nodal, measured >= 10.0, measured > 0)
    return target, nontarget


def target_response(sod_u: np.ndarray, base_u: np.ndarray, nadir_u: np.ndarray,
                    all_gone: np.ndarray) -> np.ndarray:
    """Target-lesion response code per patient at one scan.

    Sums are integer hundredths of a mm and the thresholds are compared exactly, as in
    :mod:`oncodyn.recist.timepoint` (R0.3): PR ``10 S <= 7 B``; PD ``5 S >= 6 N`` and
    ``S - N >= 500`` (5 mm). CR (all targets gone) takes precedence over the sum rules
    (RECIST 1.1 section 4.3.1: nodes < 10 mm may still add up to a non-zero sum).
    """
    sod_u, base_u, nadir_u = (np.asarray(x, dtype=np.int64) for x in (sod_u, base_u, nadir_u))
    out = np.full(sod_u.shape, SD, dtype=np.int8)
    out[10 * sod_u <= 7 * base_u] = PR
    out[(5 * sod_u >= 6 * nadir_u) & (sod_u - nadir_u >= 500)] = PD
    out[all_gone] = CR
    return out


def overall_response(tgt: np.ndarray, nt_present: np.ndarray, nt_up: np.ndarray,
                     new: np.ndarray) -> np.ndarray:
    """Overall time-point response from target, non-target and new-lesion status."""
    out = tgt.copy()
    out[(tgt == CR) & nt_present] = PR
    out[nt_up | new] = PD
    return out


def best_response(resp: np.ndarray, days: np.ndarray, *, confirm_days: int = 28,
                  min_sd_days: int = 35) -> tuple[np.ndarray, np.ndarray]:
    """Best overall response with confirmation.

    Parameters
    ----------
    resp : (n, S) overall codes at follow-up scans (NE where not assessed)
    days : (S,) or (n, S) scan (assessment) days

    Returns
    -------
    bor : (n,) int8 code;  first_pd : (n,) index of the first PD scan (-1 if none)
    """
    n, S = resp.shape
    is_pd = resp == PD
    first_pd = np.where(is_pd.any(axis=1), is_pd.argmax(axis=1), S)
    idx = np.arange(S)
    before_pd = idx[None, :] < first_pd[:, None]
    days = np.broadcast_to(np.asarray(days), (n, S))
    bor = np.full(n, NE, dtype=np.int8)
    for k in range(S):
        later = (days - days[:, k:k + 1] >= confirm_days) & (idx > k)[None, :]
        valid_later = before_pd & later
        has_cr = ((resp == CR) & valid_later).any(axis=1)
        has_pr = ((resp >= PR) & valid_later).any(axis=1)
        ok = before_pd[:, k]
        rk = resp[:, k]
        cand = np.full(n, NE, dtype=np.int8)
        cand[(rk >= SD) & (days[:, k] >= min_sd_days)] = SD
        cand[(rk == PR) & has_pr] = PR
        cand[(rk == CR) & has_pr] = PR
        cand[(rk == CR) & has_cr] = CR
        bor = np.where(ok, np.maximum(bor, cand), bor)
    pd_seen = first_pd < S
    bor[(bor == NE) & pd_seen] = PD
    return bor, np.where(pd_seen, first_pd, -1)
