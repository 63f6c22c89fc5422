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
* best overall response: the RECIST engine's own implementation
  (:func:`oncodyn.recist.confirm.best_overall`, docs/recist.md#r8-2 to #r8-4) applied to the simulated
  scans with the options of :func:`simulator_recist_options` (confirmation required, as POPLAR's
  "best confirmed" response BCOR; the scenario's ``imaging.confirm_days`` and
  ``imaging.min_sd_days``; every other option at the engine default: an SD between a response
  and its confirmation breaks it, at most one NE between). Patients followed on non-target
  disease only are NON-CR/NON-PD, not SD.

Codes: NE = 0, PD = 1, SD = 2, PR = 3, CR = 4, NON-CR/NON-PD = 5 (best response only; time
points of such patients are coded SD here and named NON-CR/NON-PD in the tables). The lesion
tables written by :meth:`oncodyn.simulate.SimulationResult.lesions_frame` carry the same scans in
the RECIST engine's input format (:mod:`oncodyn.recist`); ``oncodyn recist lesions.parquet
--options recist_options.toml`` (the options written by ``oncodyn simulate``,
:func:`simulator_recist_options`) reproduces every patient's best overall response, the day
of the first progression and the time-point responses up to it
(``tests/simulate/test_sim_recist_agreement.py``). After the first PD the simulator's time points
drive treatment policies and count a new lesion only at the scan that finds it (RECIST's best
response and PFS end at the first PD).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..patients.config import Scenario
    from ..recist.options import RecistOptions

NE, PD, SD, PR, CR, NN = 0, 1, 2, 3, 4, 5
CODES = ("NE", "PD", "SD", "PR", "CR", "NON-CR/NON-PD")


@cache
def _code_maps() -> tuple[np.ndarray, np.ndarray]:
    """(simulator code -> engine code, engine code -> simulator code) of oncodyn.recist.confirm.

    Imported on first use: ``oncodyn.recist`` loads pandas, which ``import oncodyn.simulate``
    does not need.
    """
    from ..recist import confirm as rc

    to_engine = np.array([rc.NE, rc.PD, rc.SD, rc.PR, rc.CR, rc.NN], dtype=np.int8)
    from_engine = np.zeros(len(rc.BOR_CODES), dtype=np.int8)
    from_engine[to_engine] = np.arange(len(CODES), dtype=np.int8)
    from_engine[rc.NA] = NE
    return to_engine, from_engine


def simulator_recist_options(scenario: Scenario) -> RecistOptions:
    """RECIST options of the simulator's best overall response (written by ``oncodyn simulate``
    to ``recist_options.toml``).

    Confirmation required (the endpoint of single-arm response analyses and POPLAR's "best
    confirmed overall response", RECIST 1.1 section 4.6); ``confirm_min_days`` and
    ``min_sd_days`` from the scenario's ``[imaging]`` table; ``pfs_day_offset = 0`` because the
    simulator counts days from the first day of treatment (day 0 = reference date) and its PFS
    time is the assessment day itself; every other option is the engine default (docs/recist.md#r12).
    """
    from ..recist.options import RecistOptions

    im = scenario.imaging
    return RecistOptions(confirmation_required=True, confirm_min_days=int(im.confirm_days),
                         min_sd_days=int(im.min_sd_days), pfs_day_offset=0)


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


def best_response(resp: np.ndarray, days: np.ndarray, *, options: RecistOptions,
                  nt_only: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Best overall response by the RECIST engine's rules (:func:`oncodyn.recist.confirm.best_overall`).

    Parameters
    ----------
    resp : (n, S) overall codes at follow-up scans (NE where not evaluable, or after the
        patient's exit)
    days : (S,) or (n, S) scan (assessment) days since the reference date (day 0)
    options : RECIST options (:func:`simulator_recist_options`)
    nt_only : (n,) patients without targets but with non-target disease (their SD is
        NON-CR/NON-PD); None = nobody

    Returns
    -------
    bor : (n,) int8 code;  first_pd : (n,) index of the first PD scan (-1 if none)
    """
    n, S = resp.shape
    is_pd = resp == PD
    pd_seen = is_pd.any(axis=1)
    first_pd = np.where(pd_seen, is_pd.argmax(axis=1), S)
    # evaluation window: scans up to and including the first PD (R8.1); an NE scan is an
    # assessment that was not evaluable (it counts towards max_ne_between_confirmation). Scans
    # after a patient's exit are NE too: nothing follows them, so they change no result
    win = np.arange(S)[None, :] <= first_pd[:, None]
    day = np.broadcast_to(np.asarray(days, dtype=float), (n, S))
    nt = np.zeros(n, dtype=bool) if nt_only is None else np.asarray(nt_only, dtype=bool)
    from ..recist.confirm import best_overall

    to_engine, from_engine = _code_maps()
    bor, _, _, _ = best_overall(to_engine[resp], day, win, nt, options)
    return from_engine[bor], np.where(pd_seen, first_pd, -1)
