"""Chemotherapy-induced neutropenia: the Friberg semi-mechanistic myelosuppression model.

Friberg LE, Henningsson A, Maas H, Nguyen L, Karlsson MO. J Clin Oncol 2002;20:4713-4721.
Time in hours inside the model (``ktr`` in 1/h), API times in days, neutrophils in 1e9/L::

    ktr = (n + 1)/MTT,  n = 3 transit compartments
    dProl/dt = ktr Prol (1 - E) (Circ0/Circ)^gamma - ktr Prol
    dT1/dt = ktr (Prol - T1);  dT2/dt = ktr (T1 - T2);  dT3/dt = ktr (T2 - T3)
    dCirc/dt = ktr (T3 - Circ),  E = slope * C(t) (C in mg/L),  all states start at Circ0

Default parameters (:data:`KLOFT_2006_DOCETAXEL`): Kloft C et al. 2006 docetaxel arm as coded in
DDMORE DDMODEL00000224 and reused by Netterberg I et al. 2017 (read in nlmixr2lib
``Netterberg_2017_docetaxel.R``; docs/treatment.md#neutropenia): Circ0 5.22e9/L, MTT 84.2 h, slope 15.6
L/umol (= 19.3 L/mg with M = 807.9 g/mol), gamma 0.145.

Numerical scheme (second order, positive, cheap for large batches): Strang splitting of the
drug-kill flow and the drug-free flow. The kill part ``dProl/dt = -ktr E F Prol`` with the
feedback ``F = (Circ0/Circ)^gamma`` frozen over a half step is solved exactly,
``Prol <- Prol exp(-ktr F slope AUC)``, using the **exact** AUC of the concentration over each
half step (so short infusion peaks are never stepped over); the drug-free part is smooth
(time scale 1/ktr ~ 21 h) and is advanced with classical RK4. Strang splitting: Strang G, SIAM J
Numer Anal 1968;5:506.

Grades follow CTCAE v5.0 "Neutrophil count decreased": grade 1 < LLN-1.5, grade 2 < 1.5-1.0,
grade 3 < 1.0-0.5, grade 4 < 0.5 (1e9/L).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError
from .exposure import DOCETAXEL_MW, HOURS_PER_DAY, DoseEvents, LinearPK, cumulative_auc

N_TRANSIT = 3
_CHUNK_STEPS = 64  # integration steps per chunk of the exposure computation (memory bound)
_KLOFT = ("Kloft C et al. 2006 docetaxel (DDMORE DDMODEL00000224; Netterberg I et al. 2017; read in "
          "nlmixr2lib Netterberg_2017_docetaxel.R)")
#: Docetaxel slope of Kloft 2006, L/umol.
KLOFT_SLOPE_L_PER_UMOL = 15.6
#: Lower limit of normal of the neutrophil count, 1e9/L (**illustrative**; laboratories differ).
ANC_LLN_ILLUSTRATIVE = 2.0
#: ANC needed to give the next docetaxel dose, 1e9/L (docetaxel prescribing information, dose
#: adjustments: "administer when neutrophil count >= 1500 cells/mm3").
ANC_RETREAT = 1.5


@dataclass(frozen=True)
class FribergParams:
    """Friberg model parameters; each a scalar or an array ``(n_patients,)``.

    Parameters
    ----------
    circ0 : baseline neutrophils, 1e9/L
    mtt_h : mean transit time, hours
    slope : linear drug effect, L/mg (``E = slope * C``)
    gamma : feedback exponent
    """

    circ0: Any = 5.22
    mtt_h: Any = 84.2
    slope: Any = KLOFT_SLOPE_L_PER_UMOL * 1000.0 / DOCETAXEL_MW
    gamma: Any = 0.145
    reference: str = _KLOFT

    def __post_init__(self) -> None:
        arrays = []
        for name in ("circ0", "mtt_h", "slope", "gamma"):
            a = np.asarray(getattr(self, name), float)
            if np.any(~np.isfinite(a)) or np.any(a < 0) or (name != "slope" and np.any(a <= 0)):
                raise ConfigError(f"Friberg parameter {name} must be finite and > 0 (slope >= 0)")
            arrays.append(a)
        try:
            np.broadcast_shapes(*(a.shape for a in arrays))
        except ValueError:
            raise ConfigError("Friberg parameters: per-patient shapes differ") from None

    @property
    def ktr_per_h(self) -> np.ndarray:
        return (N_TRANSIT + 1) / np.asarray(self.mtt_h, float)

    def arrays(self) -> tuple[np.ndarray, ...]:
        return tuple(np.asarray(getattr(self, n), float) for n in ("circ0", "ktr_per_h", "slope",
                                                                   "gamma"))


#: Docetaxel neutrophils, Kloft 2006 typical values (see module docstring).
KLOFT_2006_DOCETAXEL = FribergParams()


def friberg_rhs(y: np.ndarray, params: FribergParams, conc: Any) -> np.ndarray:
    """Right-hand side (per hour) of the Friberg model; ``y`` shape ``(..., 5)``, ``conc`` mg/L.

    Provided for reference solvers and tests; :func:`simulate_anc` uses the split scheme.
    """
    circ0, ktr, slope, gamma = params.arrays()
    prol, t1, t2, t3, circ = (y[..., i] for i in range(5))
    fb = (circ0 / np.maximum(circ, 1e-300)) ** gamma
    e = slope * np.asarray(conc, float)
    return np.stack([ktr * prol * (1.0 - e) * fb - ktr * prol, ktr * (prol - t1),
                     ktr * (t1 - t2), ktr * (t2 - t3), ktr * (t3 - circ)], axis=-1)


def _free_rhs(y: np.ndarray, circ0, ktr, gamma, out: np.ndarray) -> np.ndarray:
    """Drug-free Friberg flow for states ``(5, n_patients)``, written into ``out``."""
    fb = np.power(circ0 / np.maximum(y[4], 1e-300), gamma)
    np.multiply(ktr * y[0], fb - 1.0, out=out[0])
    for j in range(1, 5):
        np.subtract(y[j - 1], y[j], out=out[j])
        out[j] *= ktr
    return out


@dataclass(frozen=True)
class NeutrophilCourse:
    """Neutrophil trajectories: ``t`` (days, ``(n_t,)``), ``anc`` (1e9/L, ``(n_patients, n_t)``)."""

    t: np.ndarray
    anc: np.ndarray

    def nadir(self) -> np.ndarray:
        """Lowest ANC per patient (1e9/L) over the grid."""
        return np.min(self.anc, axis=-1)

    def time_to_nadir(self, after: float | None = None) -> np.ndarray:
        """Day of the lowest ANC per patient (on the grid), optionally only at ``t >= after``."""
        anc = self.anc if after is None else np.where(self.t >= after, self.anc, np.inf)
        return self.t[np.argmin(anc, axis=-1)]

    def grade(self) -> np.ndarray:
        """CTCAE v5.0 grade at each time, same shape as ``anc``."""
        return ctcae_grade(self.anc)

    def worst_grade(self) -> np.ndarray:
        return np.max(self.grade(), axis=-1)


def simulate_anc(params: FribergParams, t: Any, drug_auc: Any, *, y0: Any = None,
                 return_states: bool = False) -> np.ndarray:
    """Integrate the Friberg model on the grid ``t`` (days) given the drug AUC per step.

    Parameters
    ----------
    params : FribergParams
    t : array ``(n_t,)``, strictly increasing days; the grid is the integration grid (use steps
        of a few hours for accuracy; see :func:`anc_from_pk`).
    drug_auc : array ``(n_patients, n_t - 1, 2)`` or ``(n_patients, n_t - 1)``
        AUC (mg*h/L) of the concentration over the first and second half of each step (or over
        the whole step, then split evenly).
    y0 : optional states ``(n_patients, 5)``; default all at ``circ0``.

    Returns
    -------
    ANC ``(n_patients, n_t)`` in 1e9/L (states ``(n_patients, n_t, 5)`` if ``return_states``).
    """
    t = np.asarray(t, float)
    if t.ndim != 1 or t.size < 1 or np.any(np.diff(t) <= 0):
        raise ConfigError("t must be a strictly increasing 1-D grid of days")
    a = np.asarray(drug_auc, float)
    if a.ndim == 1:
        a = a[None]
    if a.ndim == 2:
        a = np.stack([a / 2.0, a / 2.0], axis=-1)
    if a.shape[-2:] != (t.size - 1, 2):
        raise ConfigError(f"drug_auc must have shape (n_patients, {t.size - 1}[, 2]); got {a.shape}")
    if np.any(a < 0) or np.any(~np.isfinite(a)):
        raise ConfigError("drug_auc must be finite and >= 0")
    y, circ0, ktr, slope, gamma, n_p = _prepare_batch(params, a.shape[:-2], y0)
    # time-major layout so each step reads and writes contiguous rows
    kill = np.array(np.moveaxis(np.broadcast_to(a, n_p + a.shape[-2:]).reshape(-1, t.size - 1, 2),
                                0, -1), order="C")  # (n_steps, 2, n)
    kill *= ktr * slope  # exponent per unit feedback: ktr slope AUC
    out = _strang(y, circ0, ktr, gamma, kill, np.diff(t) * HOURS_PER_DAY, return_states)
    if return_states:
        return np.moveaxis(out, 0, -1).reshape(n_p + (t.size, 5))  # (n_t, 5, n) -> (n, n_t, 5)
    return np.ascontiguousarray(out.T).reshape(n_p + (t.size,))


def _prepare_batch(params: FribergParams, batch: tuple[int, ...], y0: Any):
    """Flat contiguous per-patient parameters and initial states ``(5, n)``."""
    circ0, ktr, slope, gamma = params.arrays()
    n_p = np.broadcast_shapes(batch, circ0.shape, ktr.shape, slope.shape, gamma.shape)
    n_p = n_p if n_p else (1,)
    flat = [np.ascontiguousarray(np.broadcast_to(x, n_p)).reshape(-1)
            for x in (circ0, ktr, slope, gamma)]
    if y0 is None:
        y = np.repeat(flat[0][None], 5, axis=0)
    else:
        y = np.moveaxis(np.broadcast_to(np.asarray(y0, float), n_p + (5,)).reshape(-1, 5), -1, 0)
        y = np.array(y, order="C")
    return (y, *flat, n_p)


def _strang(y: np.ndarray, circ0, ktr, gamma, kill: np.ndarray, hs: np.ndarray,
            return_states: bool) -> np.ndarray:
    """Strang steps (half kill, RK4 drug-free flow, half kill); ``y`` ``(5, n)`` updated in place.

    Returns ANC ``(n_t, n)`` or states ``(n_t, 5, n)``, time-major.
    """
    out = np.empty((hs.size + 1,) + ((5,) if return_states else ()) + (y.shape[1],))
    out[0] = y if return_states else y[4]
    k1, k2, k3, k4, tmp = (np.empty_like(y) for _ in range(5))
    fb = np.power(circ0 / np.maximum(y[4], 1e-300), gamma)
    for k, h in enumerate(hs):
        # first half of the kill, exact given the frozen feedback
        y[0] *= np.exp(-fb * kill[k, 0])
        # drug-free flow over the whole step: classical RK4
        _free_rhs(y, circ0, ktr, gamma, k1)
        np.multiply(k1, 0.5 * h, out=tmp)
        tmp += y
        _free_rhs(tmp, circ0, ktr, gamma, k2)
        np.multiply(k2, 0.5 * h, out=tmp)
        tmp += y
        _free_rhs(tmp, circ0, ktr, gamma, k3)
        np.multiply(k3, h, out=tmp)
        tmp += y
        _free_rhs(tmp, circ0, ktr, gamma, k4)
        k2 += k3
        k2 *= 2.0
        k1 += k2
        k1 += k4
        k1 *= h / 6.0
        y += k1
        np.maximum(y, 0.0, out=y)
        # second half of the kill with the feedback of the new state
        fb = np.power(circ0 / np.maximum(y[4], 1e-300), gamma)
        y[0] *= np.exp(-fb * kill[k, 1])
        out[k + 1] = y if return_states else y[4]
    return out


def anc_from_pk(params: FribergParams, pk: LinearPK, events: DoseEvents, t: Any, *,
                step_h: float = 1.0) -> NeutrophilCourse:
    """ANC (1e9/L) at days ``t`` for a dosing schedule, with exact PK exposure per half step.

    Integrates on a uniform grid of ``step_h`` hours from ``min(t, 0)`` merged with ``t``; the
    AUC over each half step is computed analytically (:func:`~oncodyn.models.exposure.cumulative_auc`).
    """
    t = np.asarray(t, float)
    if t.ndim != 1 or t.size == 0 or np.any(~np.isfinite(t)):
        raise ConfigError("t must be a 1-D array of finite days")
    if not (step_h > 0 and math.isfinite(step_h)):
        raise ConfigError("step_h must be > 0")
    t0 = min(float(t.min()), 0.0)
    n = int(math.ceil((float(t.max()) - t0) * HOURS_PER_DAY / step_h))
    grid = np.unique(np.concatenate([t0 + np.arange(n + 1) * step_h / HOURS_PER_DAY, t]))
    pos = np.searchsorted(grid, t)  # output times are grid points
    y, circ0, ktr, slope, gamma, n_p = _prepare_batch(params, pk.batch_shape + events.time.shape[:-1], None)
    anc = np.empty((t.size, y.shape[1]))
    for start in range(0, max(grid.size - 1, 1), _CHUNK_STEPS):  # bounded memory in time
        g = grid[start: start + _CHUNK_STEPS + 1]
        if g.size < 2:  # a single output time
            g = np.array([g[0], g[0] + step_h / HOURS_PER_DAY])
        half = np.empty(2 * g.size - 1)
        half[0::2] = g
        half[1::2] = 0.5 * (g[:-1] + g[1:])
        F = np.broadcast_to(np.atleast_2d(cumulative_auc(pk, events, half)), (y.shape[1], half.size))
        kill = np.maximum(np.diff(F, axis=-1), 0.0).T.reshape(g.size - 1, 2, -1) * (ktr * slope)
        ancs = _strang(y, circ0, ktr, gamma, np.ascontiguousarray(kill), np.diff(g) * HOURS_PER_DAY,
                       False)
        sel = (pos >= start) & (pos < start + g.size)
        anc[sel] = ancs[pos[sel] - start]
    return NeutrophilCourse(t=t, anc=np.ascontiguousarray(anc.T))


def ctcae_grade(anc: Any, lln: float = ANC_LLN_ILLUSTRATIVE) -> np.ndarray:
    """CTCAE v5.0 grade of "neutrophil count decreased" (ANC in 1e9/L).

    0: >= LLN; 1: < LLN and >= 1.5; 2: < 1.5 and >= 1.0; 3: < 1.0 and >= 0.5; 4: < 0.5.
    The lower limit of normal ``lln`` defaults to 2.0e9/L (**illustrative**).
    """
    a = np.asarray(anc, float)
    if np.any(np.isnan(a)):
        raise ConfigError("ANC contains NaN")
    return ((a < lln).astype(np.int8) + (a < 1.5) + (a < 1.0) + (a < 0.5)).astype(np.int8)


#: Delay (days) applied when grade >= 3 is seen: one week to the next blood count
#: (**illustrative**; the label says "withheld until resolution", see :func:`recovery_delay`).
DELAY_DAYS_ILLUSTRATIVE = 7.0
#: Dose factor after grade >= 3 neutropenia: 75 -> 60 mg/m^2 (docetaxel prescribing information).
REDUCED_DOSE_FACTOR = 60.0 / 75.0


def dose_decision(grade: Any) -> tuple[np.ndarray, np.ndarray]:
    """Protocol rule: ``grade >= 3`` -> ``(delay_days, dose_factor) = (7, 0.8)``, else ``(0, 1)``.

    Simplified from the docetaxel prescribing information (Taxotere US label, "Dose adjustments
    during treatment", NSCLC after platinum): treat only when neutrophils >= 1500/mm3; patients
    on 75 mg/m^2 with febrile neutropenia or neutrophils < 500/mm3 for more than one week have
    treatment withheld until resolution and resumed at 60 mg/m^2. oncodyn triggers at grade >= 3
    (a simplification) and uses a fixed 7-day delay (**illustrative**); the factor applies to the
    current dose (the caller keeps it for later cycles). Vectorised over ``grade``.
    """
    g = np.asarray(grade)
    if np.any((g < 0) | (g > 4)):
        raise ConfigError("CTCAE grade must be in 0..4")
    severe = g >= 3
    return (np.where(severe, DELAY_DAYS_ILLUSTRATIVE, 0.0),
            np.where(severe, REDUCED_DOSE_FACTOR, 1.0))


def recovery_delay(course: NeutrophilCourse, due_day: Any, threshold: float = ANC_RETREAT) -> np.ndarray:
    """Days from ``due_day`` until ANC first reaches ``threshold`` (label: >= 1.5e9/L to treat).

    ``due_day`` scalar or ``(n_patients,)``; ``inf`` where the grid never recovers. Resolution is
    the grid of ``course.t``.
    """
    due = np.asarray(due_day, float)
    anc = np.atleast_2d(course.anc)
    due_b = np.broadcast_to(due, anc.shape[:1])[:, None]
    ok = (course.t[None, :] >= due_b) & (anc >= threshold)
    first = np.where(ok.any(axis=-1), course.t[np.argmax(ok, axis=-1)], np.inf)
    return first - due_b[:, 0]
