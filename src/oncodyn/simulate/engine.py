"""Vectorised time loop: lesion dynamics, treatments, imaging, RECIST and policies for one chunk.

Lesion model (per lesion, sensitive S, resistant R and dying D volumes, mm^3)
-----------------------------------------------------------------------------
Between events both viable compartments grow at the lesion's per-cell rate r(N), N = S + R, with the
exact flow over a step of ``dt`` days:

* exponential: r = g, factor exp(g dt);
* Gompertz (Gompertz 1825; Norton L (1988) Cancer Res 48:7067): d ln N/dt = a ln(K/N),
  a = g / ln(K/N0) so that the specific rate at baseline is g; exact factor
  exp(ln(N/K) (exp(-a dt) - 1)).

Chemotherapy doses act as impulses on S only (R is not killed):

    ln S -> ln S - kill * AUC / AUC_ref * h

with h = 1 (log-kill, Skipper 1964), h = r(N)/r_ref (Norton–Simon: kill proportional to the
lesion's current specific growth rate r(N) = d ln N/dt of its unperturbed growth law; Norton L,
Simon R (1977) Cancer Treat Rep 61:1307; Norton L (1988) Cancer Res 48:7067; the reference rate
r_ref is the scenario's population median ``growth.rate_per_day``, so a lesion growing at the
median rate gets the nominal kill, a lesion growing twice as fast twice the log-kill; under
Gompertz growth r(N) falls as the lesion approaches K, so large lesions are killed less) or
h = exp(-lambda (t - t_first dose)) (Claret L et al. (2009) J Clin Oncol 27:4103, decay of drug
effect as acquired resistance). Acquired resistance by transfer moves a fraction
``acquired_per_dose * AUC/AUC_ref`` of S to R at each dose. AUC per dose: exact AUC of the
linear PK model ``chemo.pk`` (one compartment with ``cl_l_h_m2``, or the Ozawa 2007 docetaxel
three-compartment model via :func:`oncodyn.models.exposure.auc`; :func:`._treatment.clearance_per_m2`).
``kill_law = "simeoni"`` is log-kill (h = 1) whose killed cells leave the dying compartment
below at the transit rate ``response.simeoni_k1_per_day`` (one-transit-compartment form of
Simeoni M et al. (2004) Cancer Res 64:1094, mean transit time 1/k1). Radiotherapy multiplies S
and R of the irradiated lesions by the LQ surviving fraction (fractionated ebrt/hdr, or
continuous LDR with the incomplete-repair factor g(mu T), Dale 1985; :mod:`._treatment`).

"On chemotherapy" (radiosensitisation by concurrent chemotherapy, the treatment state of the
trajectories and so the symptom inputs) means: within one cycle length after the last dose
given (``t < last dose day + cycle_days``), not yet exited. A line with ``n_cycles`` ends
(inactive) after its last cycle. Exits (death / withdrawal, ``exit_day``; :mod:`._exits`): no
dosing, no radiosensitisation, no scan on or after the exit day (recorded, jittered day) and a
NaN burden from the exit day on, so cohort statistics over the burden are over the patients
still on study. Death comes from the scenario's survival model (:mod:`oncodyn.survival.tgi_os`:
a Weibull hazard driven by the current true burden, held one step, and baseline covariates),
so shrinkage lowers and regrowth after progression raises each patient's risk of death.

Killed cells (chemotherapy: S (1 - exp(-kill ...)); radiotherapy: (S + R)(1 - SF of the step's
fractions)) move to the dying compartment D, which is measured with the lesion and cleared at
a first-order rate, D -> D exp(-ln2 dt / h) per step, h = ``dying.half_life_days`` (one transit
compartment of damaged cells as in Simeoni M et al. (2004) Cancer Res 64:1094; the delayed
radiological regression of treated lesions; h = 0 clears instantly, the earlier model). Growth
rates (Gompertz, Norton–Simon) use the viable volume S + R. Measured size V = S + R + D.

Per-lesion ceiling: after each step's growth, S and R are scaled down where S + R + D exceeds
pi/6 ``growth.max_diam_mm``^3 so that V stays at the ceiling (250 mm default, illustrative; the
largest diameter in the Laleh 2022 series is 228 mm); below the ceiling nothing changes (factor
exactly 1.0). Compartments below one cell (1/cells_per_mm3 mm^3) are extinct.

Imaging at the scan days: diameters d = (6V/pi)^(1/3) measured with proportional error
(CV 6%, intra-reader, Yoon SH et al. (2016) Eur J Cancer 53:5) plus additive error
SD 1.7 mm (= 2.4 mm SD of same-day repeat-CT change / sqrt 2; Oxnard GR et al. (2011)
J Clin Oncol 29:3114); lesions below ``disappear_below_mm`` are read as 0; diameters are
recorded to 0.01 mm and RECIST compares them in integer hundredths (as :mod:`oncodyn.recist`,
which re-evaluates ``SimulationResult.lesions_frame()`` to the same responses). Occult colonies
that reach ``new_lesion_detection_mm`` are new lesions. RECIST on arrays
(:mod:`.recist_arrays`); policies act on the time-point response (:mod:`.policies`).

Layout and numerics (performance, results unchanged): inside the loop every per-lesion array is
lesion-major, shape (L, n), so that sums and "any" over a patient's lesions are L vectorised
row operations instead of n short inner loops (a (n, 9) ``sum(axis=1)`` costs ~50 ns per
patient). Float sums over lesions use :func:`lesion_sum`, which adds the rows in exactly the
order of NumPy's pairwise summation, so the results are bit-identical to ``x.sum(axis=1)`` on
the patient-major array; integer sums (RECIST, hundredths of a mm) are exact in any order.
State stays float64 (volumes span 1e-6 .. 8e6 mm^3, up to the ceiling, and bit-identity with
the reference results is kept); outputs are float32 as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError
from ..patients.cohort import Cohort, sample_cohort, sphere_diameter
from ..patients.config import ORGANS, Scenario
from . import _treatment as tx
from ._exits import Exits
from ._lesion_sum import lesion_sum as lesion_sum  # re-exported (tests, callers)

# event codes (EV, EV_NAMES) and the adaptive policies
from .policies import EV, EV_NAMES, apply_policy  # noqa: F401  (EV_NAMES re-exported)
from .recist_arrays import (
    CR,
    NE,
    PD,
    SD,
    best_response,
    overall_response,
    select_targets,
    simulator_recist_options,
    target_response,
)

_TWO52 = 2.0**52


def scan_days(scenario: Scenario) -> np.ndarray:
    """Scan days (baseline day 0 first) on the simulation grid."""
    im, H, dt = scenario.imaging, scenario.horizon_days, scenario.dt_days
    s = im.schedule
    if isinstance(s, list):
        days = np.array(sorted({0, *s}), dtype=int)
    elif s == "q6w_then_q9w":
        days = np.concatenate([np.arange(0, 337, 42), np.arange(336 + 63, H + 1, 63)])
    else:
        step = {"q6w": 42, "q8w": 56, "q9w": 63, "q12w": 84}[s]
        days = np.arange(0, H + 1, step)
    days = days[days <= H]
    return np.unique((days // dt) * dt)


@dataclass
class ChunkOutput:
    """Arrays of one chunk (see :class:`oncodyn.simulate.result.SimulationResult`)."""

    n: int
    bor: np.ndarray
    best_pct: np.ndarray
    pfs_days: np.ndarray
    pfs_event: np.ndarray
    base_sod: np.ndarray
    n_lesions: np.ndarray
    n_targets: np.ndarray
    cum_dose: np.ndarray
    covariates: np.ndarray
    exit_day: np.ndarray | None = None     # (n,) day of death / withdrawal (inf = none in the horizon)
    n_irradiated: np.ndarray | None = None  # (n,) lesions in the field of any radiotherapy course
    burden: np.ndarray | None = None       # (n, T) sum of true diameters of visible lesions (mm),
                                           # NaN from the patient's exit day on
    state: np.ndarray | None = None        # (n, T) 0 off, 1 line 1, 2 line 2 (on chemotherapy:
                                           # < one cycle since a dose), 3 paused
    scan_resp: np.ndarray | None = None    # (n, S) overall code
    scan_sod: np.ndarray | None = None     # (n, S)
    scan_meas: np.ndarray | None = None    # (n, S, L) measured diameters (NaN = not scanned)
    role: np.ndarray | None = None         # (n, L) 1 target, 2 non-target, 3 new (occult), 0 none
    organ: np.ndarray | None = None
    nodal: np.ndarray | None = None
    new_day: np.ndarray | None = None      # (n, L) scan index when an occult colony was first seen
    scan_day: np.ndarray | None = None     # (n, S) recorded assessment day (nominal + visit jitter)
    scan_ntpd: np.ndarray | None = None    # (n, S) unequivocal non-target progression at the scan
    burden_at: np.ndarray | None = None    # (n, k) burden at the requested ``burden_days``
    burden_weekly_sum: np.ndarray | None = None  # (T,) float64 cohort sum of the burden per step
    os_days: np.ndarray | None = None      # (n,) death day, or censoring day (withdrawal / horizon)
    os_event: np.ndarray | None = None     # (n,) bool: died within the horizon
    exit_reason: np.ndarray | None = None  # (n,) int8: 0 on study at the horizon, 1 death, 2 withdrawal
    on_tx_days: np.ndarray | None = None   # (n,) days on chemotherapy (< one cycle since a dose)
    tot_days: np.ndarray | None = None     # (n,) time on treatment: first dose to last dose + one cycle
    tf_days: np.ndarray | None = None      # (n,) days alive on study after the first dose, off chemo
    n_doses: np.ndarray | None = None      # (n,) chemotherapy doses given
    sites: np.ndarray | None = None        # (n,) metastatic sites (survival covariate)
    sld0: np.ndarray | None = None         # (n,) baseline SLD of the survival model, mm
    baseline_row: np.ndarray | None = None  # (n,) row of the baseline pool (source "poplar")
    events: dict[str, np.ndarray] = field(default_factory=dict)


def simulate_chunk(scenario: Scenario, n: int, rng: np.random.Generator, *,
                   keep: str = "all", burden_days: Sequence[int] | None = None) -> ChunkOutput:
    """Simulate ``n`` patients of ``scenario`` with all randomness from ``rng``.

    ``keep``: "summary" (per-patient endpoints only), "trajectories" (+ weekly burden and
    treatment state, per-scan responses) or "all" (+ lesion measurements and events).
    ``burden_days``: grid days at which to keep each patient's burden (``burden_at``); with it
    the weekly burden is computed at every step even under ``keep="summary"`` and reduced to its
    cohort sum per step (``burden_weekly_sum``), so memory stays O(n) (used by the benchmark).
    The random stream, and so every result, does not depend on ``keep`` or ``burden_days``.
    """
    sc = scenario
    coh: Cohort = sample_cohort(sc, n, rng)
    dt, H = sc.dt_days, sc.horizon_days
    grid = np.arange(0, H + 1, dt)
    T = grid.size
    sdays = scan_days(sc)
    scan_at = {int(d): i for i, d in enumerate(sdays)}
    S_ = sdays.size
    im, resp_cfg, occ = sc.imaging, sc.response, sc.occult
    L = coh.present.shape[1]
    cell = 1.0 / occ.cells_per_mm3

    def lm(x: np.ndarray) -> np.ndarray:  # patient-major (n, L) -> lesion-major (L, n), contiguous
        return np.ascontiguousarray(x.T)

    S = lm(coh.sens0)
    R = lm(coh.res0)
    # dying cells (killed, not yet cleared): measured, cleared at ln2/half-life; none if 0
    # (kill_law "simeoni": one transit compartment left at rate k1 = response.simeoni_k1_per_day)
    if resp_cfg.kill_law == "simeoni":
        k_clear = float(resp_cfg.simeoni_k1_per_day)
    else:
        hl = sc.dying.half_life_days
        k_clear = np.log(2.0) / hl if hl > 0 else 0.0
    has_D = k_clear > 0
    D = np.zeros((L, n)) if has_D else None
    d_keep = float(np.exp(-k_clear * dt)) if has_D else 0.0
    vmax = np.pi / 6 * sc.growth.max_diam_mm**3  # per-lesion volume ceiling (mm^3)
    kill = lm(coh.kill)
    present = lm(coh.present)
    occult = coh.occult
    nodal = lm(coh.nodal)
    organ = lm(coh.organ)
    visible = present & ~occult[:, None]
    occ_present = present & occult[:, None]
    detected = np.zeros((L, n), dtype=bool)
    g = lm(coh.growth)
    if sc.growth.law == "exponential":
        gstep = np.exp(g * dt)
        a = None
    else:
        lnK = np.log(np.pi / 6 * sc.growth.carrying_capacity_diam_mm**3)
        N0 = np.maximum(S + R, cell)
        lnKN0 = np.maximum(lnK - np.log(N0), 0.05)
        a = g / lnKN0
        decay = np.exp(-a * dt) - 1.0

    # treatment state
    chemo = sc.chemo
    has_chemo = chemo is not None
    active = np.full(n, has_chemo)
    paused = np.zeros(n, dtype=bool)
    line = np.ones(n, dtype=np.int8)
    next_dose = np.full(n, chemo.start_day if has_chemo else 10**9, dtype=np.int64)
    level = np.ones(n)
    n_red = np.zeros(n, dtype=np.int16)
    n_doses = np.zeros(n, dtype=np.int32)
    first_dose = np.full(n, -1.0)
    # "on chemotherapy" = from a dose until one cycle length after it (radiosensitisation,
    # treatment state): t < chemo_until
    chemo_until = np.full(n, -1, dtype=np.int64)
    cum_dose = np.zeros(n)
    dose_mg = np.full(n, chemo.dose_mg_m2 if has_chemo else 0.0)
    cycle = np.full(n, chemo.cycle_days if has_chemo else 21, dtype=np.int64)
    # clearance per m^2 of each patient (AUC = dose / CL, _treatment.py): fixed, computed once
    # (chemo.pk: one-compartment cl_l_h_m2 or 1 / AUC per mg/m^2 of a PK preset, _treatment.py)
    cl_patient = tx.clearance_per_m2(chemo) * coh.cl_factor if has_chemo else None

    # exits: death (survival model) and withdrawal (:mod:`._exits`); burden at day 0 = true
    # diameters of the visible lesions (no dying cells yet)
    b_prev = lesion_sum(np.where(visible, sphere_diameter(S + R), 0.0))  # the link's burden
    exits = Exits(sc, coh, rng, sdays, b_prev)
    has_os = exits.tumour_driven
    exit_day = exits.exit_day
    any_exit = exits.any
    on_tx_days = np.zeros(n)
    tf_days = np.zeros(n)
    # burden mask: 1.0 on study, NaN (trajectory) / 0.0 (cohort sum) from the exit day on
    on_nan = np.ones(n)
    on_01 = np.ones(n)
    # assessment dates: nominal scan day + a visit-window jitter (recorded dates only)
    jitter = rng.integers(-im.scan_jitter_days, im.scan_jitter_days + 1, size=(n, S_)) if im.scan_jitter_days else np.zeros((n, S_), dtype=np.int64)
    jitter[:, 0] = 0

    # radiotherapy courses
    courses = []
    irradiated = np.zeros((L, n), dtype=bool)
    for rc in sc.radiation:
        mask = tx.course_mask(rc.target, present, visible, organ, ORGANS)
        irradiated |= mask
        courses.append((mask, tx.radiation_steps(rc, grid, dt)))

    keep_traj = keep in ("trajectories", "all")
    keep_all = keep == "all"
    b_idx: dict[int, int] = {}
    if burden_days is not None:
        for j, d in enumerate(burden_days):
            hit = np.flatnonzero(grid == int(d))
            if hit.size != 1:
                raise ConfigError(f"burden_days: day {d} is not on the simulation grid (0..{H} step {dt})")
            b_idx[int(hit[0])] = j
    want_burden = keep_traj or burden_days is not None or has_os
    # time-major while filling (row k is contiguous), transposed to (n, T) at the end
    burden_t = np.zeros((T, n), dtype=np.float32) if keep_traj else None
    state_t = np.zeros((T, n), dtype=np.int8) if keep_traj else None
    burden_at = np.zeros((n, len(b_idx)), dtype=np.float32) if burden_days is not None else None
    burden_wsum = np.zeros(T) if burden_days is not None else None
    buf = np.empty((L, n))                  # per-step scratch (no allocation in the loop)
    keep_mask = np.empty((L, n), dtype=bool)
    shown = visible.astype(float)           # 1.0 for lesions seen (visible or detected), else 0.0
    scan_resp = np.full((n, S_), NE, dtype=np.int8)
    scan_sod = np.full((n, S_), np.nan, dtype=np.float32)
    scan_meas = np.full((n, S_, L), np.nan, dtype=np.float32) if keep_all else None
    new_day = np.full((L, n), -1, dtype=np.int16)
    scan_ntpd = np.zeros((n, S_), dtype=bool) if keep_all else None
    ev_p: list[np.ndarray] = []
    ev_d: list[np.ndarray] = []
    ev_c: list[np.ndarray] = []
    ev_v: list[np.ndarray] = []

    def event(mask: np.ndarray, day: np.ndarray | float, code: int, value: np.ndarray | float = 0.0) -> None:
        if keep_all and mask.any():
            idx = np.flatnonzero(mask)
            ev_p.append(idx)
            ev_d.append(np.broadcast_to(np.asarray(day, dtype=float), mask.shape)[idx].copy())
            ev_c.append(np.full(idx.size, code, dtype=np.int8))
            ev_v.append(np.broadcast_to(np.asarray(value, dtype=float), mask.shape)[idx].copy())

    target = nontarget = None
    base = nadir = None
    nt_nadir = None
    first_pd_day = np.full(n, np.nan)
    pd_seen = np.zeros(n, dtype=bool)
    last_ov = np.full(n, NE, dtype=np.int8)  # last assessed (non-NE) overall response
    exit_logged = np.zeros(n, dtype=bool)
    exited = np.zeros(n, dtype=bool)
    pol = sc.policy

    tox = chemo.toxicity if has_chemo else None
    ktr = 4.0 / tox.mtt_h if tox is not None else 0.0

    for k in range(T):
        t = int(grid[k])
        if has_os:  # deaths in [t, t + dt), the burden of the previous step held over it
            exits.step(float(t), float(dt), b_prev)
            exit_day = exits.exit_day
        if any_exit:
            exited = exit_day <= t
            newly = exited & ~exit_logged
            if newly.any():
                # death (value 1 after a progression, 0 without) or withdrawal, at the exact day
                is_death = exits.is_death()
                event(newly & is_death, exit_day, EV["death"], pd_seen.astype(float))
                event(newly & ~is_death, exit_day, EV["withdrawal"])
                exit_logged |= newly
                on_nan[newly] = np.nan
                on_01[newly] = 0.0
                active &= ~exited
        # ---------------- imaging + RECIST + policy
        if t in scan_at:
            si = scan_at[t]
            vol = S + R
            if has_D:
                vol += D
            d_true = sphere_diameter(vol)
            # same draws, same order as the patient-major (n, L) version; used lesion-major
            z_mult = rng.standard_normal((n, L)).T
            z_add = rng.standard_normal((n, L)).T
            noise = 1.0 + im.measurement_cv * z_mult
            meas = np.maximum(d_true * noise + im.additive_sd_mm * z_add, 0.0)
            # = meas[d_true < disappear] = 0 (meas is finite there; True keeps inf/NaN as they are)
            np.multiply(meas, d_true >= im.disappear_below_mm, out=meas)
            # recorded to 0.01 mm and compared in integer hundredths, as oncodyn.recist does (R0.3);
            # capped at 1e6 mm (a numerical guard so the units fit in int64; the per-lesion
            # ceiling growth.max_diam_mm keeps true sizes far below it)
            # rint(x) for 0 <= x <= 1e8 < 2^52 as (x + 2^52) - 2^52 (round half to even, the
            # IEEE default, bit-identical to np.rint here and ~10x faster); NaN stays NaN
            hund = np.minimum(meas, 1e6)
            hund *= 100.0
            hund += _TWO52
            hund -= _TWO52
            meas_u = hund.astype(np.int64)
            meas = meas_u / 100.0
            # scanned only if on study on the recorded (jittered) assessment day
            seen = ~exited & (exit_day > t + jitter[:, si]) if any_exit else ~exited
            if si == 0:
                tgt_pm, nt_pm = select_targets(meas.T, visible.T, nodal.T, organ.T.astype(np.intp),
                                               n_organs=len(ORGANS))
                target, nontarget = lm(tgt_pm), lm(nt_pm)
                t_or_nt = target | nontarget
                has_t = target.any(axis=0)
                has_nt = nontarget.any(axis=0)
                no_t = ~has_t
                base_u = np.where(target, meas_u, 0).sum(axis=0)
                nadir_u = base_u.copy()
                base = base_u / 100.0
                nadir = base.copy()
                nt_nadir = lesion_sum(np.where(nontarget, vol, 0.0))
                scan_sod[:, 0] = base
            else:
                sod_u = np.where(target, meas_u, 0).sum(axis=0)
                sod = sod_u / 100.0
                gone = np.where(nodal, meas_u < 1000, meas_u == 0)
                all_gone = ~(target & ~gone).any(axis=0)
                tr = target_response(sod_u, base_u, nadir_u, all_gone)
                nt_vol = lesion_sum(np.where(nontarget, vol, 0.0))
                nt_present = (nontarget & ~gone).any(axis=0)
                # no target at baseline: response from non-targets alone (RECIST 1.1 Table 2):
                # CR when all are gone, else NON-CR/NON-PD (coded SD); nothing to follow -> NE
                tr[no_t] = np.where(has_nt[no_t], np.where(nt_present[no_t], SD, CR), NE)
                # unequivocal non-target progression: NT volume doubled from its nadir (illustrative)
                nt_up = has_nt & (nt_vol >= 2.0 * np.maximum(nt_nadir, 1e-9)) & (nt_vol > 0)
                newly_seen = occ_present & ~detected & (d_true >= im.new_lesion_detection_mm)
                new_day[newly_seen & seen[None, :]] = si
                detected |= newly_seen
                shown = (visible | detected).astype(float)
                new = newly_seen.any(axis=0)
                if keep_all:
                    scan_ntpd[:, si] = nt_up & seen
                ov = overall_response(tr, nt_present, nt_up, new)
                # reappearance of any target or non-target after a CR is PD (RECIST 1.1 FAQ;
                # oncodyn.recist option reappearance_after_cr="PD", its default)
                ov[(last_ov == CR) & (t_or_nt & ~gone).any(axis=0)] = PD
                ov = np.where(seen, ov, NE).astype(np.int8)
                last_ov = np.where(ov != NE, ov, last_ov)
                scan_resp[:, si] = ov
                scan_sod[:, si] = np.where(seen, np.minimum(sod, 1e6), np.nan)
                is_pd = (ov == PD) & seen
                first = is_pd & ~pd_seen
                first_pd_day[first] = t + jitter[first, si]
                pd_seen |= is_pd
                event(first, float(t), EV["progression"])
                nadir_u = np.where(seen, np.minimum(nadir_u, sod_u), nadir_u)
                nadir = nadir_u / 100.0
                nt_nadir = np.minimum(nt_nadir, nt_vol)
                pct = np.where(base > 0, sod / np.where(base > 0, base, 1.0) - 1.0, 0.0)
                apply_policy(pol.kind, pol, t, seen, ov, first, pct, sod, nadir, base, active,
                              paused, line, next_dose, level, n_red, first_dose, dose_mg, cycle,
                              kill, S, R, sc, event)
            if keep_all:
                scan_meas[:, si, :] = np.where(seen[None, :] & (visible | detected), meas, np.nan).T
        # ---------------- record trajectory (pre-dose)
        if want_burden:
            # = lesion_sum(np.where(visible | detected, sphere_diameter(S + R), 0)), in place
            np.add(S, R, out=buf)
            if has_D:
                buf += D
            np.multiply(buf, 6.0 / np.pi, out=buf)
            np.cbrt(buf, out=buf)
            # x * 1.0 == x and x * 0.0 == 0.0 for finite x >= 0, as np.where would give; an
            # inf hidden lesion (only with an absurd growth.max_diam_mm) would give NaN:
            # recompute that step with np.where
            np.multiply(buf, shown, out=buf)
            row = lesion_sum(buf)
            if np.isnan(row).any():
                row = lesion_sum(np.where(shown > 0, sphere_diameter(S + R + (D if has_D else 0.0)), 0.0))
            if has_os:  # the survival link's burden (before the off-study NaN mask)
                b_prev = row.copy()
            if burden_wsum is not None:  # cohort sum over the patients still on study
                burden_wsum[k] = np.dot(row, on_01) if any_exit else row.sum()
            if any_exit:  # no burden after a patient's exit (death / withdrawal): NaN
                row *= on_nan  # x * 1.0 == x exactly, x * NaN = NaN
            if keep_traj:
                burden_t[k] = row
            if burden_at is not None and k in b_idx:
                burden_at[:, b_idx[k]] = row
        # ---------------- chemotherapy doses at t
        if has_chemo:
            can = active & ~paused & (t >= next_dose)
            if chemo.n_cycles:
                can &= n_doses < chemo.n_cycles
            if can.any():
                auc = np.where(can, dose_mg * level / cl_patient, 0.0)
                rel = auc / chemo.reference_auc_mg_h_l
                first_dose[can & (first_dose < 0)] = t
                h = 1.0
                if resp_cfg.kill_law == "norton_simon":
                    if a is None:  # exponential: r(N) = g
                        h = g / sc.growth.rate_per_day
                    else:  # Gompertz: r(N) = a ln(K/N)
                        lnKN = np.maximum(lnK - np.log(np.maximum(S + R, cell)), 0.0)
                        h = a * lnKN / sc.growth.rate_per_day
                elif resp_cfg.kill_law == "claret":
                    h = np.exp(-resp_cfg.claret_lambda_per_day * (t - first_dose))[None, :]
                surv = np.exp(-kill * rel[None, :] * h)
                if has_D:
                    D += S * (1.0 - surv)
                S *= surv
                if resp_cfg.acquired_per_dose > 0:
                    mv = np.minimum(resp_cfg.acquired_per_dose * rel, 1.0)[None, :] * S
                    S -= mv
                    R += mv
                cum_dose += np.where(can, dose_mg * level, 0.0)
                n_doses += can
                next_dose = np.where(can, t + cycle, next_dose)
                chemo_until = np.where(can, t + cycle, chemo_until)
                if tox is not None and tox.model == "friberg":
                    m = ktr * tox.slope_per_mg_l * coh.tox_factor * auc
                    anc = tox.circ0 * tx.relative_nadir(m, tox.gamma)
                    grade = np.where(can, tx.anc_grade(anc), 0)
                    bad = grade >= tox.grade_threshold
                    # recorded on the nadir day (after the dose that caused it), when the
                    # protocol rule below is decided; the reduction applies from the next dose
                    t_nadir = t + tx.nadir_days(m, tox.gamma, ktr)
                    event(bad, t_nadir, EV["toxicity"], grade)
                    if tox.rule in ("reduce", "reduce_delay"):
                        # reduce while reductions are left; then discontinue on a nadir of grade
                        # >= discontinue_grade (lasting > discontinue_min_days) at the reduced dose
                        red = bad & (n_red < tox.max_reductions)
                        level[red] *= tox.reduction_factor
                        n_red += red
                        event(red, t_nadir, EV["dose_reduced"], level)
                        stop = can & ~red & (n_red >= tox.max_reductions) & (grade >= tox.discontinue_grade)
                        if tox.discontinue_min_days > 0 and stop.any():
                            lim = tx.ANC_GRADE_LIMITS[tox.discontinue_grade - 1] / tox.circ0
                            stop &= tx.days_below(m, tox.gamma, lim, ktr) > tox.discontinue_min_days
                        active &= ~stop
                        event(stop, t_nadir, EV["discontinued_toxicity"])
                    if tox.rule in ("delay", "reduce_delay") and tox.delay_days > 0:
                        next_dose = np.where(bad, next_dose + tox.delay_days, next_dose)
                        event(bad, t_nadir, EV["dose_delayed"], float(tox.delay_days))
                if chemo.n_cycles:  # the line ends after its last cycle
                    active &= n_doses < chemo.n_cycles
        on_now = t < chemo_until
        if any_exit:
            on_now &= ~exited
        if has_chemo and t < H:  # time on / off chemotherapy over [t, t + dt), alive on study
            on_tx_days += dt * on_now
            tf_days += dt * ((first_dose >= 0) & ~on_now & ~exited)
        if keep_traj:  # treatment state over [t, t + dt): line while on chemotherapy, 3 paused
            st = state_t[k]
            np.copyto(st, line, where=on_now, casting="unsafe")
            st[active & paused & ~on_now] = 3
        # ---------------- radiotherapy fractions in [t, t + dt)
        for mask, rs in courses:
            if rs.n_fx[k] > 0 or rs.repop_days[k] > 0:
                on_chemo = (t < chemo_until)[None, :]
                if any_exit:
                    on_chemo = on_chemo & ~exited[None, :]
                f = np.where(mask, np.exp(rs.log_survival(k, on_chemo)), 1.0)
                if has_D and rs.n_fx[k] > 0:
                    # cells killed by this step's fractions (repopulation adds viable cells only)
                    D += np.where(mask, (S + R) * -np.expm1(rs.log_kill(k, on_chemo)), 0.0)
                S *= f
                R *= f
        # ---------------- growth over [t, t + dt)
        if a is None:
            S *= gstep
            R *= gstep
        else:
            # factor exp((ln max(S + R, cell) - lnK) * decay), computed in place in ``buf``
            np.add(S, R, out=buf)
            np.maximum(buf, cell, out=buf)
            np.log(buf, out=buf)
            buf -= lnK
            buf *= decay
            np.exp(buf, out=buf)
            S *= buf
            R *= buf
        if has_D:
            D *= d_keep
        # per-lesion ceiling: viable cells are cut so that S + R + D <= vmax (a no-op, bit for
        # bit, for every lesion below it; total volume is conserved by kills and D only decays)
        np.add(S, R, out=buf)
        if has_D:
            buf += D
        if buf.max() > vmax:  # few lesions: scale them in place by flat index (S, R contiguous)
            idx = np.flatnonzero(buf > vmax)
            Sf, Rf = S.reshape(-1), R.reshape(-1)
            room = vmax - D.reshape(-1)[idx] if has_D else vmax
            f = room / (Sf[idx] + Rf[idx])
            Sf[idx] *= f
            Rf[idx] *= f
        # extinction below one cell: S[S < cell] = 0, as a multiplication by the keep mask
        # (S, R are >= 0, so x * True == x and x * False == 0.0 exactly; a branch-free ufunc,
        # ~7x faster than a masked store with a dense random mask)
        np.greater_equal(S, cell, out=keep_mask)
        np.multiply(S, keep_mask, out=S)
        np.greater_equal(R, cell, out=keep_mask)
        np.multiply(R, keep_mask, out=R)
        if has_D:
            np.greater_equal(D, cell, out=keep_mask)
            np.multiply(D, keep_mask, out=D)

    # the RECIST engine's best-response rules (oncodyn.recist.confirm), the options written to
    # recist_options.toml; patients followed on non-targets only are NON-CR/NON-PD
    bor, first_pd = best_response(scan_resp[:, 1:], sdays[None, 1:] + jitter[:, 1:],
                                  options=simulator_recist_options(sc), nt_only=no_t & has_nt)
    pct_all = scan_sod[:, 1:] / np.where(base > 0, base, np.nan)[:, None] - 1.0
    best_pct = np.nanmin(np.where(np.isfinite(pct_all), pct_all, np.inf), axis=1)
    best_pct = np.where(np.isfinite(best_pct), best_pct * 100.0, np.nan)
    last_scan = float(sdays[-1])
    pfs_days, pfs_event, os_days, os_event, exit_reason = exits.outcomes(pd_seen, first_pd_day, last_scan)
    del first_pd
    out = ChunkOutput(
        n=n, bor=bor, best_pct=best_pct.astype(np.float32), pfs_days=pfs_days, pfs_event=pfs_event,
        base_sod=base.astype(np.float32), n_lesions=visible.sum(axis=0).astype(np.int8),
        n_targets=target.sum(axis=0).astype(np.int8), cum_dose=cum_dose.astype(np.float32),
        covariates=coh.covariates, burden_at=burden_at, burden_weekly_sum=burden_wsum,
        exit_day=exit_day, n_irradiated=irradiated.sum(axis=0).astype(np.int8),
        os_days=os_days, os_event=os_event, exit_reason=exit_reason, on_tx_days=on_tx_days,
        tot_days=np.where(first_dose >= 0, chemo_until - first_dose, 0).astype(float),
        tf_days=tf_days, n_doses=n_doses.astype(np.int16), sites=coh.sites.astype(np.float32),
        sld0=coh.sld0.astype(np.float32),
        baseline_row=(coh.baseline_row if coh.baseline_row is not None else np.full(n, -1, dtype=np.int32)),
    )
    if keep_traj:
        out.burden, out.state = np.ascontiguousarray(burden_t.T), np.ascontiguousarray(state_t.T)
        out.scan_resp, out.scan_sod = scan_resp, scan_sod
        out.scan_day = (sdays[None, :] + jitter).astype(np.int32)  # recorded assessment days
    if keep_all:
        role = np.where(target, 1, np.where(nontarget, 2, np.where(occ_present, 3, 0))).astype(np.int8)
        out.scan_meas, out.role, out.organ, out.nodal, out.new_day = (
            scan_meas, lm(role), coh.organ, coh.nodal, lm(new_day))
        out.scan_ntpd = scan_ntpd
        def cat(xs: list[np.ndarray], dt_: type) -> np.ndarray:
            return np.concatenate(xs) if xs else np.zeros(0, dtype=dt_)

        out.events = {"patient": cat(ev_p, np.int64), "day": cat(ev_d, float),
                      "code": cat(ev_c, np.int8), "value": cat(ev_v, float)}
    return out

