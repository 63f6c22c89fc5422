"""Treatment effects used inside the simulator's time loop (private adapters).

These are small, vectorised stand-ins kept private to the simulator so it runs at 1e6 patients;
the full models live in ``oncodyn.models.exposure`` / ``radiation`` / ``toxicity``.

Exposure (per-dose surrogate)
    Docetaxel kill and myelotoxicity are driven by the exposure of each dose, AUC = dose / CL.
    CL = 21.7 L/h/m^2 x BSA (docetaxel label: total CL 21 L/h/m^2; docs/treatment.md#docetaxel-pk derives
    21.7 from 100 mg/m^2 -> AUC 4.6 mg h/L), log-normal IIV CV 39.9% (Ozawa 2007 Cancer Sci
    98:1985 Table 2). Dose in mg/m^2 times BSA over CL per m^2 times BSA: BSA cancels, so
    AUC = dose_mg_m2 / (CL_m2 * eta). Because the elimination half-lives (minutes to 11 h) are
    short against the 21-day cycle and the weekly grid, each dose acts as an impulse of size AUC
    (exact AUC of the linear PK model; the time course within a day is dropped).
    ``chemo.pk = "docetaxel_3cpt"`` replaces the one-compartment CL by the exact AUC over
    [0, inf) of :data:`oncodyn.models.exposure.DOCETAXEL_3CPT` (Ozawa 2007 Table 2) for the
    regimen's infusion at BSA 1.8 m^2 (illustrative), from :func:`oncodyn.models.exposure.auc`
    (:func:`clearance_per_m2`); the patient's CL factor applies as before.

Neutropenia (Friberg LE et al. (2002) J Clin Oncol 20:4713; docetaxel values of Kloft 2006:
    Circ0 5.22e9/L, MTT 84.2 h, slope 15.6 L/umol = 19.3 L/mg, gamma 0.145; IIV on slope
    omega^2 0.128 -> SD 0.358; as transcribed in nlmixr2lib, docs/treatment.md#neutropenia)
    With an impulse dose, the linear drug effect removes a fraction exp(-m) of the proliferating
    pool with m = ktr * slope * AUC (ktr = 4/MTT per hour). In time scaled by ktr the Friberg
    system then depends only on m and gamma, so the relative nadir ANC/Circ0 = F(m, gamma) is
    tabulated once by RK4 integration and interpolated. Cycles are assumed to start from
    baseline counts (recovery within 21 days; approximation).
    CTCAE v5 neutrophil count decreased: grade 1 < 2.0 (LLN, illustrative), 2 < 1.5,
    3 < 1.0, 4 < 0.5 (x1e9/L).

Radiotherapy: linear-quadratic surviving fraction exp(-n(alpha d + beta d^2)), beta =
    alpha/(alpha/beta); accelerated repopulation after the kick-off time Tk at ln2/Tpot per day
    up to the last fraction (Fowler JF (1989) Br J Radiol 62:679; docs/treatment.md#radiotherapy);
    concurrent chemotherapy multiplies alpha by (1 + enhancement) (illustrative
    radiosensitisation). Fraction days, surviving fraction and sensitised alpha are those of
    :mod:`oncodyn.models.radiation` (one source of truth; see :func:`radiation_steps`).
    LDR brachytherapy (``modality = "ldr"``): one step with ln S = -(alpha D + beta g(mu T) D^2),
    the Lea-Catcheside incomplete-repair factor g of
    :class:`oncodyn.models.radiation.ContinuousLDR` (Dale RG (1985) Br J Radiol 58:515).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..models import exposure as pkm
from ..models import radiation as rad
from ..models.radiation import Fractionation

ANC_GRADE_LIMITS = (2.0, 1.5, 1.0, 0.5)  # x1e9/L, CTCAE v5 grades 1..4 (grade 1 LLN illustrative)


_TAU_STEP = 0.02  # RK4 step in scaled time tau = ktr t


@lru_cache(maxsize=8)
def _friberg_path(gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """Relative ANC/Circ0 after an impulse ``m`` (grid 0..30), at every RK4 step up to tau = 40
    (about 35 days at MTT 84 h); one integration per gamma, shared by the nadir and durations."""
    m = np.linspace(0.0, 30.0, 301)
    y = np.ones((5, m.size))
    y[0] = np.exp(-m)

    def rhs(y: np.ndarray) -> np.ndarray:
        prol, t1, t2, t3, circ = y
        fb = np.maximum(circ, 1e-9) ** (-gamma)
        return np.stack([prol * fb - prol, prol - t1, t1 - t2, t2 - t3, t3 - circ])

    h, tau_end = _TAU_STEP, 40.0
    n_steps = int(tau_end / h)
    path = np.empty((n_steps, m.size))
    for i in range(n_steps):
        k1 = rhs(y)
        k2 = rhs(y + 0.5 * h * k1)
        k3 = rhs(y + 0.5 * h * k2)
        k4 = rhs(y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        path[i] = y[4]
    return m, path


@lru_cache(maxsize=16)
def _nadir_table(gamma: float) -> tuple[np.ndarray, np.ndarray]:
    m, path = _friberg_path(gamma)
    return m, np.minimum(1.0, path.min(axis=0))


@lru_cache(maxsize=16)
def _below_table(gamma: float, ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """Scaled time (tau) with ANC/Circ0 < ``ratio``, per impulse ``m``."""
    m, path = _friberg_path(gamma)
    return m, _TAU_STEP * (path < ratio).sum(axis=0)


def relative_nadir(m: np.ndarray, gamma: float) -> np.ndarray:
    """Relative ANC nadir after an impulse of size ``m = ktr * slope * AUC`` (Friberg 2002)."""
    grid, nadir = _nadir_table(float(gamma))
    return np.interp(np.minimum(m, grid[-1]), grid, nadir)


@lru_cache(maxsize=16)
def _nadir_time_table(gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """Scaled time (tau) of the ANC nadir, per impulse ``m`` (same integration)."""
    m, path = _friberg_path(gamma)
    return m, _TAU_STEP * (path.argmin(axis=0) + 1)


def nadir_days(m: np.ndarray, gamma: float, ktr_per_h: float) -> np.ndarray:
    """Days from a dose to its ANC nadir after an impulse ``m`` (same Friberg integration as
    :func:`relative_nadir`; 6-9 days for docetaxel at MTT 84.2 h and grades 1-4, against a
    median time to nadir of 7 days in the TAXOTERE US prescribing information, section 6.1). Toxicity events are recorded on this day, after the dose that caused them."""
    grid, tau = _nadir_time_table(float(gamma))
    return np.interp(np.minimum(m, grid[-1]), grid, tau) / ktr_per_h / 24.0


def days_below(m: np.ndarray, gamma: float, ratio: float, ktr_per_h: float) -> np.ndarray:
    """Days with ANC/Circ0 < ``ratio`` after an impulse ``m`` (same Friberg integration as
    :func:`relative_nadir`, within ~35 days at MTT 84 h; resolution 0.02/ktr h)."""
    grid, below = _below_table(float(gamma), float(ratio))
    return np.interp(np.minimum(m, grid[-1]), grid, below) / ktr_per_h / 24.0


def anc_grade(anc: np.ndarray) -> np.ndarray:
    """CTCAE v5 grade (0..4) of an absolute neutrophil count in 1e9/L."""
    g = np.zeros(np.shape(anc), dtype=np.int8)
    for i, lim in enumerate(ANC_GRADE_LIMITS):
        g[anc < lim] = i + 1
    return g


@dataclass(frozen=True)
class RadiationSteps:
    """One radiotherapy course laid on the simulation grid (step ``k`` covers ``[t_k, t_k + dt)``).

    ``n_fx[k]`` fractions and ``repop_days[k]`` days of accelerated repopulation fall in step
    ``k``; ``log_sf`` / ``log_sf_chemo`` are ``ln S`` of one fraction (LQ) without / with the
    concurrent-chemotherapy enhancement of alpha; ``repop_rate`` is ln2/Tpot per day.
    Over a whole course (no chemotherapy) ``sum(n_fx) log_sf + repop_rate sum(repop_days)``
    equals ``-alpha BED`` of :func:`oncodyn.models.radiation.bed` with its repopulation term.
    """

    fractionation: Fractionation | rad.ContinuousLDR
    n_fx: np.ndarray
    repop_days: np.ndarray
    log_sf: float
    log_sf_chemo: float
    repop_rate: float

    def log_survival(self, k: int, on_chemo: np.ndarray) -> np.ndarray:
        """ln of the surviving fraction over step ``k`` (per patient: on concurrent chemo or not)."""
        lsf = np.where(on_chemo, self.log_sf_chemo, self.log_sf)
        return self.n_fx[k] * lsf + self.repop_rate * self.repop_days[k]

    def log_kill(self, k: int, on_chemo: np.ndarray) -> np.ndarray:
        """ln of the fraction surviving the LQ kill of step ``k``'s fractions alone (no
        repopulation); ``1 - exp(log_kill)`` of the cells move to the dying compartment."""
        lsf = np.where(on_chemo, self.log_sf_chemo, self.log_sf)
        return self.n_fx[k] * lsf


def course_schedule(rc) -> Fractionation | rad.ContinuousLDR:
    """The :mod:`oncodyn.models.radiation` schedule of a course (``RadiationCfg``):
    :class:`~oncodyn.models.radiation.Fractionation` for ``ebrt``/``hdr``,
    :class:`~oncodyn.models.radiation.ContinuousLDR` (one "fraction" of dose rate x duration with
    the incomplete-repair factor g(mu T), Dale 1985) for ``ldr``."""
    if rc.modality == "ldr":
        return rad.ContinuousLDR(float(rc.dose_rate_gy_per_h), float(rc.duration_h),
                                 start_day=float(rc.start_day), mu_per_h=float(rc.mu_per_h))
    return Fractionation(int(rc.n_fractions), float(rc.dose_per_fraction_gy), modality=rc.modality,
                         start_day=float(rc.start_day), fractions_per_week=int(rc.fractions_per_week))


def radiation_steps(rc, grid: np.ndarray, dt: int) -> RadiationSteps:
    """Lay a radiotherapy course (``oncodyn.patients.config.RadiationCfg``) on the grid.

    Fraction days come from :class:`oncodyn.models.radiation.Fractionation` (consecutive days,
    ``fractions_per_week`` per week); the repopulation window is ``[start + Tk, last fraction)``,
    i.e. ``max(T - Tk, 0)`` days with ``T`` the first-to-last-fraction time of Fowler 1989
    (``Fractionation.overall_time``); the LQ surviving fraction of one fraction is
    :func:`oncodyn.models.radiation.surviving_fraction` with ``beta = alpha/(alpha/beta)`` and
    alpha enhanced by :func:`oncodyn.models.radiation.sensitised_alpha` (factor
    ``1 + chemo_enhancement``, illustrative) under concurrent chemotherapy.

    LDR (``modality = "ldr"``): the implant is one "fraction" on the step of ``start_day`` with
    ``ln S = -(alpha D + beta g(mu T) D^2)`` of
    :meth:`oncodyn.models.radiation.ContinuousLDR.log_survival` (= ``-alpha BED_LDR``,
    :func:`oncodyn.models.radiation.bed_ldr`); the repopulation window is empty unless the
    implant lasts longer than ``tk_days``.
    """
    fx = course_schedule(rc)
    beta = rc.alpha / rc.alpha_beta
    alpha_c = rad.sensitised_alpha(rc.alpha, 1.0 + rc.chemo_enhancement)
    if rc.modality == "ldr":
        log_sf = float(fx.log_survival(rc.alpha, beta))
        log_sf_chemo = float(fx.log_survival(alpha_c, beta))
    days = fx.fraction_times().astype(np.int64)
    idx = np.clip(days // dt, 0, grid.size - 1)
    n_fx = np.bincount(idx[days < grid[-1] + dt], minlength=grid.size).astype(float)
    lo = np.maximum(grid, fx.start_day + rc.tk_days)
    hi = np.minimum(grid + dt, fx.start_day + fx.overall_time())
    rep = np.clip(hi - lo, 0, None).astype(float)
    if rc.modality != "ldr":
        d = fx.dose_per_fraction
        log_sf = float(np.log(rad.surviving_fraction(d, rc.alpha, beta)))
        log_sf_chemo = float(np.log(rad.surviving_fraction(d, alpha_c, beta)))
    return RadiationSteps(fx, n_fx, rep, log_sf, log_sf_chemo, rad.LN2 / rc.tpot_days)


def course_mask(target: str, present: np.ndarray, visible: np.ndarray, organ: np.ndarray,
                organs: tuple[str, ...]) -> np.ndarray:
    """Lesion slots (``(L, n)`` bool) inside the field of a radiotherapy course.

    The one targeting rule of the simulator (``RadiationCfg.target``): ``"primary"`` the
    primary tumour (slot 0, lesion id ``L1``, present by construction); ``"all"`` every visible
    lesion; ``"L<k>"`` the single lesion with that id (slot ``k - 1``) where it is visible at
    baseline; an organ name the visible lesions in that organ.
    """
    mask = np.zeros(present.shape, dtype=bool)
    if target == "primary":
        mask[0] = present[0]
    elif target == "all":
        mask[:] = visible
    elif target in organs:
        mask[:] = visible & (organ == organs.index(target))
    else:
        k = lesion_slot(target)
        if k is None or k >= present.shape[0]:
            raise ValueError(f"radiation target {target!r} is not primary, all, an organ or a "
                             f"lesion id L1..L{present.shape[0]}")
        mask[k] = visible[k]
    return mask


def lesion_slot(target: str) -> int | None:
    """Slot index of a lesion-id target ``"L<k>"`` (``k >= 1``), or None for other targets."""
    if len(target) > 1 and target[0] == "L" and target[1:].isdigit() and target[1] != "0":
        return int(target[1:]) - 1
    return None


#: PK presets selectable as ``chemo.pk`` (besides ``"one_compartment"``, which uses ``cl_l_h_m2``).
PK_PRESETS = {"docetaxel_3cpt": pkm.DOCETAXEL_3CPT}


def unit_dose_events(chemo) -> pkm.DoseEvents:
    """One administration of 1 mg/m^2 at day 0 over ``chemo.infusion_h`` hours, at BSA
    :data:`oncodyn.models.exposure.BSA_DEFAULT_M2` (1.8 m^2, illustrative), as the
    :class:`oncodyn.models.exposure.Regimen` gives it."""
    reg = pkm.Regimen(chemo.drug, 1.0, float(chemo.infusion_h), float(chemo.cycle_days), 1)
    return reg.dose_events()


def clearance_per_m2(chemo) -> float:
    """Typical clearance per m^2 (L/h/m^2) such that a dose's exposure is AUC = dose_mg_m2 / CL.

    ``chemo.pk = "one_compartment"``: ``chemo.cl_l_h_m2`` itself (bit-identical to the model
    before ``pk``; the exact AUC of a linear one-compartment model, :func:`oncodyn.models.
    exposure.auc` from the dose to infinity, is dose / CL). ``"docetaxel_3cpt"``: 1 / AUC of a
    1 mg/m^2 dose of :data:`oncodyn.models.exposure.DOCETAXEL_3CPT` (Ozawa 2007) infused over
    ``infusion_h`` (:func:`unit_dose_events`), AUC from :func:`oncodyn.models.exposure.auc`
    over [0, inf) -- equal to CL / BSA = 35.7 / 1.8 up to rounding. Linear PK: the AUC of a dose
    D is D x AUC(1), and a patient with clearance factor eta has AUC / eta.
    """
    if chemo.pk == "one_compartment":
        return float(chemo.cl_l_h_m2)
    a = pkm.auc(PK_PRESETS[chemo.pk], unit_dose_events(chemo), 0.0, np.inf)
    return float(1.0 / np.asarray(a).reshape(-1)[0])
