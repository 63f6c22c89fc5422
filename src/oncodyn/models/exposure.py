"""Dosing regimens and linear pharmacokinetics (PK), solved analytically by superposition.

A :class:`Regimen` (drug, mg/m^2, infusion length, cycles, delays, reductions) gives
:class:`DoseEvents` (day, mg, infusion duration). A :class:`LinearPK` is a mamillary
compartmental model (central compartment plus peripheral ones) with per-patient parameters.
Concentrations are exact sums of exponentials:

* the disposition of a unit bolus into the central compartment is
  ``c(t) = sum_i A_i exp(-lam_i t)``; with volumes ``V`` and the symmetric flow matrix ``F``
  (``F_11 = -(CL + sum Q_j)``, ``F_1j = F_j1 = Q_j``, ``F_jj = -Q_j``), the matrix
  ``B = V^-1/2 F V^-1/2`` is symmetric, ``B = U diag(-lam) U^T``, and ``A_i = U_1i^2 / V_1``
  (so ``sum A_i = 1/V_1`` and ``sum A_i/lam_i = 1/CL``) -- the eigen-decomposition route of
  Gibaldi M, Perrier D, *Pharmacokinetics*, 2nd ed., 1982, ch. 2-3 and appendix B;
* a zero-order infusion of ``D`` mg over ``Tinf`` hours (rate ``R = D/Tinf``) contributes
  ``(R A_i/lam_i)(1 - e^{-lam_i tau}) e^{-lam_i s}`` with ``tau = clip(t - t0, 0, Tinf)`` and
  ``s = max(t - t0 - Tinf, 0)`` (Gibaldi & Perrier 1982, eq. 2.112 for one compartment);
  doses superpose because the system is linear.

Units: PK parameters in L and L/h, times of the API in **days**, amounts in mg, concentrations in
mg/L, AUC in mg*h/L.

Docetaxel parameter sets (docs/treatment.md#docetaxel-pk): three compartments from Ozawa K et al., Cancer Sci
2007;98:1985, Table 2 (CL 35.7 L/h, V1 6.94 L, Q2 5.58 L/h, V2 7.39 L, Q3 12.5 L/h, V3 225 L);
one-compartment simplification CL 39 L/h, V 24 L derived (docs/treatment.md#docetaxel-pk) from the US label
(100 mg/m^2 over 1 h at BSA 1.8 m^2: AUC 4.6 mg h/L, Cmax 3.7 mg/L).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ConfigError

HOURS_PER_DAY = 24.0
#: Body-surface area used when none is given, m^2 (**illustrative** typical adult; the value used
#: for the Claret FU schedule and the docetaxel derivations in docs/treatment.md#docetaxel-pk).
BSA_DEFAULT_M2 = 1.8
#: Docetaxel molar mass, g/mol (C43H53NO14, 807.9; the Friberg slope conversion uses 808).
DOCETAXEL_MW = 807.9


# ------------------------------------------------------------------ dose events
@dataclass(frozen=True)
class DoseEvents:
    """Doses as arrays: ``time`` (day of start), ``amount`` (mg), ``duration`` (days).

    Shapes ``(n_events,)`` for one schedule or ``(n_patients, n_events)`` for per-patient
    schedules; rows may be padded with ``amount = 0`` (see :func:`stack_events`).
    """

    time: np.ndarray
    amount: np.ndarray
    duration: np.ndarray

    def __post_init__(self) -> None:
        t, a, d = (np.asarray(x, dtype=float) for x in (self.time, self.amount, self.duration))
        try:
            t, a, d = np.broadcast_arrays(t, a, d)
        except ValueError:
            raise ConfigError("dose events: time, amount and duration shapes differ") from None
        if t.ndim not in (1, 2):
            raise ConfigError("dose events must be 1-D (one schedule) or 2-D (per patient)")
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(a)) and np.all(np.isfinite(d))):
            raise ConfigError("dose events: times, amounts and durations must be finite")
        if np.any(a < 0) or np.any(d < 0):
            raise ConfigError("dose events: amounts and durations must be >= 0")
        object.__setattr__(self, "time", t)
        object.__setattr__(self, "amount", a)
        object.__setattr__(self, "duration", d)

    @property
    def n_events(self) -> int:
        return int(self.time.shape[-1])

    def scaled(self, factor: Any) -> DoseEvents:
        """Amounts multiplied by ``factor`` (scalar or per patient ``(n_patients,)``)."""
        f = np.asarray(factor, float)
        if f.ndim == 1:
            f = f[:, None]
        return DoseEvents(self.time, self.amount * f, self.duration)

    def total(self) -> np.ndarray:
        """Total amount (mg) per schedule."""
        return self.amount.sum(axis=-1)


def stack_events(events: Sequence[DoseEvents]) -> DoseEvents:
    """Per-patient 1-D schedules -> one ``(n_patients, max_events)`` batch padded with zero doses."""
    if not events:
        raise ConfigError("stack_events needs at least one schedule")
    n = max(e.n_events for e in events)
    out = np.zeros((3, len(events), n))
    for i, e in enumerate(events):
        if e.time.ndim != 1:
            raise ConfigError("stack_events takes 1-D schedules")
        k = e.n_events
        out[0, i, :k], out[1, i, :k], out[2, i, :k] = e.time, e.amount, e.duration
        if k < n:  # padding: zero doses placed at the last time, harmless
            out[0, i, k:] = e.time[-1] if k else 0.0
    return DoseEvents(out[0], out[1], out[2])


@dataclass(frozen=True)
class Regimen:
    """A cytotoxic regimen: ``dose_mg_m2`` every ``cycle_days`` for ``n_cycles`` cycles.

    Parameters
    ----------
    drug : str
    dose_mg_m2 : float
        Planned dose per administration, mg/m^2.
    infusion_h : float
        Infusion length, hours (0 = bolus).
    cycle_days : float
        Planned cycle length, days.
    n_cycles : int
    start_day : float
        Day of the first administration.
    days : tuple of float
        Administration days within a cycle (default ``(0,)``; ``(0, 1, 2, 3, 4)`` for a d1-5
        schedule such as FU 425 mg/m^2 d1-5 q4w, Claret 2009).
    delays : tuple of float
        Per-cycle delay (days) added before cycle ``i``; delays accumulate (a late cycle pushes
        the later ones). Missing entries are 0.
    dose_factors : tuple of float
        Per-cycle dose multipliers (e.g. 0.8 for 75 -> 60 mg/m^2). Missing entries repeat the
        last given factor (a reduction is kept), or 1 when empty.
    bsa_m2 : float
        Body-surface area, m^2; default 1.8 (**illustrative**, docs/treatment.md#docetaxel-pk).
    """

    drug: str
    dose_mg_m2: float
    infusion_h: float
    cycle_days: float
    n_cycles: int
    start_day: float = 0.0
    days: tuple[float, ...] = (0.0,)
    delays: tuple[float, ...] = ()
    dose_factors: tuple[float, ...] = ()
    bsa_m2: float = BSA_DEFAULT_M2

    def __post_init__(self) -> None:
        checks = [
            (self.dose_mg_m2 >= 0 and math.isfinite(self.dose_mg_m2), "dose_mg_m2 must be >= 0"),
            (self.infusion_h >= 0 and math.isfinite(self.infusion_h), "infusion_h must be >= 0"),
            (self.cycle_days > 0 and math.isfinite(self.cycle_days), "cycle_days must be > 0"),
            (int(self.n_cycles) == self.n_cycles and self.n_cycles >= 0,
             "n_cycles must be an integer >= 0"),
            (math.isfinite(self.start_day), "start_day must be finite"),
            (len(self.days) >= 1 and all(0 <= d < self.cycle_days for d in self.days),
             "days must lie in [0, cycle_days)"),
            (all(d >= 0 for d in self.delays), "delays must be >= 0"),
            (all(f >= 0 for f in self.dose_factors), "dose_factors must be >= 0"),
            (len(self.delays) <= self.n_cycles and len(self.dose_factors) <= self.n_cycles,
             "more delays/dose_factors than cycles"),
            (self.bsa_m2 > 0, "bsa_m2 must be > 0"),
        ]
        for ok, msg in checks:
            if not ok:
                raise ConfigError(f"regimen {self.drug!r}: {msg}")

    def cycle_starts(self) -> np.ndarray:
        """Start day of each cycle, shape ``(n_cycles,)``, delays included."""
        delays = np.zeros(self.n_cycles)
        delays[: len(self.delays)] = self.delays
        return self.start_day + self.cycle_days * np.arange(self.n_cycles) + np.cumsum(delays)

    def cycle_factors(self) -> np.ndarray:
        f = np.ones(self.n_cycles)
        if self.dose_factors:
            f[: len(self.dose_factors)] = self.dose_factors
            f[len(self.dose_factors):] = self.dose_factors[-1]
        return f

    def end_day(self) -> float:
        """End of the last cycle (start of the last cycle + ``cycle_days``)."""
        return float(self.cycle_starts()[-1] + self.cycle_days) if self.n_cycles else self.start_day

    def dose_events(self, bsa_m2: Any = None) -> DoseEvents:
        """Administrations as :class:`DoseEvents` (days, mg, days).

        ``bsa_m2`` overrides the regimen's BSA; an array ``(n_patients,)`` gives per-patient
        amounts with shape ``(n_patients, n_events)``.
        """
        bsa = np.asarray(self.bsa_m2 if bsa_m2 is None else bsa_m2, float)
        if np.any(bsa <= 0) or np.any(~np.isfinite(bsa)):
            raise ConfigError("bsa_m2 must be finite and > 0")
        offs = np.asarray(self.days, float)
        t = (self.cycle_starts()[:, None] + offs[None, :]).ravel()
        mg = np.repeat(self.cycle_factors() * self.dose_mg_m2, offs.size)
        amount = mg * bsa[..., None] if bsa.ndim else mg * float(bsa)
        dur = np.full(t.shape, self.infusion_h / HOURS_PER_DAY)
        if bsa.ndim:
            t = np.broadcast_to(t, amount.shape)
            dur = np.broadcast_to(dur, amount.shape)
        return DoseEvents(t, amount, dur)


# ------------------------------------------------------------------ PK model
def _pos(x: Any, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if np.any(~np.isfinite(a)) or np.any(a <= 0):
        raise ConfigError(f"PK parameter {name} must be finite and > 0")
    return a


@dataclass(frozen=True)
class LinearPK:
    """Mamillary linear PK: central volume ``v1`` (L), clearance ``cl`` (L/h), peripheral
    compartments with inter-compartmental clearances ``q`` (L/h) and volumes ``vp`` (L).

    Every parameter is a scalar or an array ``(n_patients,)`` (all broadcast together).
    Use :meth:`one_compartment`, :meth:`three_compartment` or the docetaxel presets
    :data:`DOCETAXEL_3CPT`, :data:`DOCETAXEL_1CPT`.
    """

    cl: Any
    v1: Any
    q: tuple[Any, ...] = ()
    vp: tuple[Any, ...] = ()
    name: str = ""
    reference: str = ""
    _macro: tuple[np.ndarray, np.ndarray] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.q) != len(self.vp):
            raise ConfigError("LinearPK: q and vp need the same number of peripheral compartments")
        arrays = [_pos(self.cl, "cl"), _pos(self.v1, "v1")]
        arrays += [_pos(x, f"q{j + 2}") for j, x in enumerate(self.q)]
        arrays += [_pos(x, f"v{j + 2}") for j, x in enumerate(self.vp)]
        try:
            arrays = np.broadcast_arrays(*arrays)
        except ValueError:
            raise ConfigError("LinearPK: per-patient parameter shapes differ") from None
        if arrays[0].ndim > 1:
            raise ConfigError("LinearPK parameters must be scalars or (n_patients,) arrays")
        object.__setattr__(self, "_macro", _macro_constants(arrays, len(self.q)))

    @classmethod
    def one_compartment(cls, cl: Any, v: Any, **kw: Any) -> LinearPK:
        """One compartment: ``c = (D/V) exp(-(CL/V) t)`` for a bolus."""
        return cls(cl, v, **kw)

    @classmethod
    def three_compartment(cls, cl: Any, v1: Any, q2: Any, v2: Any, q3: Any, v3: Any,
                          **kw: Any) -> LinearPK:
        return cls(cl, v1, (q2, q3), (v2, v3), **kw)

    @property
    def n_compartments(self) -> int:
        return 1 + len(self.q)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return self._macro[0].shape[:-1]

    def macro_constants(self) -> tuple[np.ndarray, np.ndarray]:
        """``(A, lam)``: coefficients (1/L) and rates (1/h), shape ``(*batch, n_compartments)``;
        unit-bolus central concentration ``c(t) = sum A_i exp(-lam_i t)``."""
        return self._macro

    def half_lives_h(self) -> np.ndarray:
        return math.log(2.0) / self._macro[1]


def _macro_constants(arrays: list[np.ndarray], n_periph: int) -> tuple[np.ndarray, np.ndarray]:
    cl, v1 = arrays[0], arrays[1]
    q = arrays[2: 2 + n_periph]
    vp = arrays[2 + n_periph:]
    shape = cl.shape
    n = 1 + n_periph
    if n == 1:
        return (1.0 / v1)[..., None], (cl / v1)[..., None]
    F = np.zeros(shape + (n, n))
    F[..., 0, 0] = -(cl + sum(q))
    for j in range(n_periph):
        F[..., 0, j + 1] = q[j]
        F[..., j + 1, 0] = q[j]
        F[..., j + 1, j + 1] = -q[j]
    vol = np.stack([v1, *vp], axis=-1)
    s = 1.0 / np.sqrt(vol)
    B = F * s[..., :, None] * s[..., None, :]
    w, U = np.linalg.eigh(B)
    lam = -w
    A = U[..., 0, :] ** 2 / v1[..., None]
    order = np.argsort(-lam, axis=-1)  # fastest first
    return np.take_along_axis(A, order, -1), np.take_along_axis(lam, order, -1)


OZAWA_2007 = "Ozawa K et al. Cancer Sci 2007;98:1985, Table 2 (via nlmixr2lib Ozawa_2007_docetaxel.R)"
#: Docetaxel three-compartment typical values (Ozawa 2007 Table 2).
DOCETAXEL_3CPT = LinearPK.three_compartment(35.7, 6.94, 5.58, 7.39, 12.5, 225.0,
                                            name="docetaxel 3-cpt", reference=OZAWA_2007)
#: Docetaxel one-compartment simplification (docs/treatment.md#docetaxel-pk, derived from the US label).
DOCETAXEL_1CPT = LinearPK.one_compartment(
    39.0, 24.0, name="docetaxel 1-cpt",
    reference="Derived from the docetaxel US label: CL = 100*1.8/4.6 L/h, V from Cmax 3.7 mg/L (US label)")


# ------------------------------------------------------------------ superposition
def _prepare(pk: LinearPK, events: DoseEvents, t: Any):
    A, lam = pk.macro_constants()
    ev_t, ev_a, ev_d = events.time, events.amount, events.duration
    t = np.asarray(t, float)
    if t.ndim == 0:
        t = t[None]
    if t.ndim > 2:
        raise ConfigError("times must be (n_t,) or (n_patients, n_t)")
    batch = np.broadcast_shapes(A.shape[:-1], ev_t.shape[:-1], t.shape[:-1])
    if len(batch) > 1:
        raise ConfigError("batch must be one patient axis")
    A = np.broadcast_to(A, batch + A.shape[-1:])
    lam = np.broadcast_to(lam, batch + lam.shape[-1:])
    ev_t, ev_a, ev_d = (np.broadcast_to(x, batch + x.shape[-1:]) for x in (ev_t, ev_a, ev_d))
    tt = np.broadcast_to(t, batch + t.shape[-1:])
    return A, lam, ev_t, ev_a, ev_d, tt, len(batch) > 0 or t.ndim > 1


def _superpose(A, lam, ev_t, ev_a, ev_d, tt, kind: str) -> np.ndarray:
    """Direct superposition (any time grid): loop over doses and exponentials."""
    out = np.zeros(tt.shape)
    th = tt * HOURS_PER_DAY
    for e in range(ev_t.shape[-1]):
        with np.errstate(invalid="ignore"):
            dt = th - (ev_t[..., e, None] * HOURS_PER_DAY)  # hours since start of dose e
        tinf = ev_d[..., e, None] * HOURS_PER_DAY
        amt = ev_a[..., e, None]
        tau = np.clip(dt, 0.0, tinf)
        s = np.maximum(dt - tinf, 0.0)
        bolus = tinf <= 0
        tinf_safe = np.where(bolus, 1.0, tinf)
        for i in range(A.shape[-1]):
            a_i, l_i = A[..., i, None], lam[..., i, None]
            if kind == "conc":
                # infusion: (D/Tinf)(A/lam)(1 - e^{-lam tau}) e^{-lam s}; bolus: D A e^{-lam s}
                rise = np.where(bolus, 1.0, -np.expm1(-l_i * tau) / (l_i * tinf_safe))
                out += np.where(dt >= 0, amt * a_i * rise * np.exp(-l_i * s), 0.0)
            else:
                tail = -np.expm1(-l_i * s)  # 1 - e^{-lam s}
                inf_part = (l_i * tau + np.expm1(-l_i * tau)) / (l_i * l_i * tinf_safe)
                full = -np.expm1(-l_i * tinf_safe) / (l_i * l_i * tinf_safe)
                out += amt * a_i * np.where(bolus, tail / l_i, inf_part + full * tail)
    return out


def _propagate(A, lam, ev_t, ev_a, ev_d, t_sorted, kind: str) -> np.ndarray:
    """Exact recursion on a sorted shared grid: concentration and cumulative AUC at each point.

    Each exponential term ``m_i`` obeys ``m_i(t_{k+1}) = m_i(t_k) e^{-lam_i dt} + input_i`` where
    ``input_i`` is the exact contribution of the doses given inside the interval, so the cost is
    ``O(n_patients (n_t n_exp + n_doses))`` instead of ``O(n_patients n_t n_exp n_doses)``.
    """
    n_p, n_c = A.shape
    th = t_sorted * HOURS_PER_DAY
    n_t = th.size
    m = np.zeros((n_p, n_c))
    for i in range(n_c):  # state at the first grid point, by superposition of each term
        m[:, i] = _superpose(A[:, i:i + 1], lam[:, i:i + 1], ev_t, ev_a, ev_d,
                             np.full((n_p, 1), t_sorted[0]), "conc")[:, 0]
    want_auc = kind == "auc"
    cum0 = (_superpose(A, lam, ev_t, ev_a, ev_d, np.full((n_p, 1), t_sorted[0]), "auc")[:, 0]
            if want_auc else None)
    rows, ks, vm, va = [], [], [], []
    prow = np.arange(n_p)
    for e in range(ev_t.shape[-1]):
        a, amt = ev_t[:, e] * HOURS_PER_DAY, ev_a[:, e]
        b = a + ev_d[:, e] * HOURS_PER_DAY
        bolus = b <= a
        live = (amt > 0) & (b > th[0]) & (a < th[-1]) | (bolus & (amt > 0) & (a > th[0]) & (a <= th[-1]))
        if not np.any(live):
            continue
        # boluses belong to (t_k, t_{k+1}] (right-continuous); infusions to every overlapped interval
        k0 = np.where(bolus, np.searchsorted(th, a, "left") - 1, np.searchsorted(th, a, "right") - 1)
        k0 = np.maximum(k0, 0)
        k_last = np.where(bolus, k0, np.searchsorted(th, b, "left") - 1)
        span = int(np.max(np.where(live, k_last - k0, 0))) + 1
        for j in range(span):
            k = k0 + j
            ok = live & (k <= k_last) & (k < n_t - 1)
            if not np.any(ok):
                continue
            r, kk, bo = prow[ok], k[ok], bolus[ok]
            t1 = th[kk + 1][:, None]
            lo = np.maximum(a[ok], th[kk])[:, None]
            hi = np.minimum(b[ok], th[kk + 1])[:, None]
            Ai, li = A[r], lam[r]
            rate = np.where(bo, 0.0, amt[ok] / np.where(bo, 1.0, b[ok] - a[ok]))[:, None]
            decay_hi = np.exp(-li * (t1 - hi))
            x = li * (hi - lo)
            inf_m = rate * Ai / li * decay_hi * (-np.expm1(-x))
            inf_a = rate * Ai / (li * li) * (x - decay_hi * (-np.expm1(-x)))
            bol_m = amt[ok][:, None] * Ai * decay_hi
            bol_a = amt[ok][:, None] * Ai / li * (1.0 - decay_hi)
            rows.append(r)
            ks.append(kk)
            vm.append(np.where(bo[:, None], bol_m, inf_m))
            va.append(np.where(bo[:, None], bol_a, inf_a))
    if rows:
        r_all, k_all = np.concatenate(rows), np.concatenate(ks)
        order = np.argsort(k_all, kind="stable")
        r_all, k_all = r_all[order], k_all[order]
        vm_all, va_all = np.concatenate(vm)[order], np.concatenate(va)[order]
        bounds = np.searchsorted(k_all, np.arange(n_t))
    out = np.empty((n_t, n_p))  # time-major while filling (contiguous rows), transposed at end
    out[0] = cum0 if want_auc else m.sum(axis=-1)
    mT, lamT = np.ascontiguousarray(m.T), np.ascontiguousarray(lam.T)  # (n_c, n_p): fast rows
    cache: dict[float, tuple[np.ndarray, np.ndarray]] = {}
    for k in range(n_t - 1):
        h = float(th[k + 1] - th[k])
        if h not in cache:
            x = lamT * h
            factors = (np.exp(-x), -np.expm1(-x) / lamT)  # decay, integral of the decay
            if len(cache) < 8:  # regular grids reuse a few step sizes
                cache[h] = factors
        else:
            factors = cache[h]
        decay, gain = factors
        if want_auc:
            acc = out[k + 1]
            acc[:] = out[k]
            for i in range(n_c):
                acc += mT[i] * gain[i]
        mT *= decay
        if rows and bounds[k] < bounds[k + 1]:
            sl = slice(bounds[k], bounds[k + 1])
            for i in range(n_c):
                np.add.at(mT[i], r_all[sl], vm_all[sl, i])
            if want_auc:
                np.add.at(acc, r_all[sl], va_all[sl].sum(axis=-1))
        if not want_auc:
            tot = out[k + 1]
            tot[:] = mT[0]
            for i in range(1, n_c):
                tot += mT[i]
    return out.T


def _evaluate(pk: LinearPK, events: DoseEvents, t: Any, kind: str, method: str) -> np.ndarray:
    if method not in ("auto", "grid", "superposition"):
        raise ConfigError(f"method must be 'auto', 'grid' or 'superposition', got {method!r}")
    A, lam, ev_t, ev_a, ev_d, tt, batched = _prepare(pk, events, t)
    t_arr = np.asarray(t, float)
    grid_ok = t_arr.ndim == 1 and t_arr.size >= 2 and bool(np.all(np.isfinite(t_arr)))
    if method == "grid" and not grid_ok:
        raise ConfigError("method='grid' needs a 1-D grid of finite times")
    small = t_arr.size < 8 or A.size // A.shape[-1] < 32  # measured: superposition is faster
    if method == "superposition" or (method == "auto" and (not grid_ok or small)):
        return _superpose(A, lam, ev_t, ev_a, ev_d, tt, kind)
    order = np.argsort(t_arr, kind="stable")
    two = lambda x: x if x.ndim == 2 else x[None]  # noqa: E731
    res = _propagate(two(A), two(lam), two(ev_t), two(ev_a), two(ev_d), t_arr[order], kind)
    if np.all(order[1:] > order[:-1]):
        out = np.ascontiguousarray(res)
    else:
        out = np.empty(res.shape)
        out[:, order] = res
    return out if batched else out[0]


def concentration(pk: LinearPK, events: DoseEvents, t: Any, *, method: str = "auto") -> np.ndarray:
    """Central concentration (mg/L) at days ``t``: exact superposition of all doses.

    Parameters
    ----------
    pk : LinearPK
        Scalar or per-patient ``(n_patients,)`` parameters.
    events : DoseEvents
        ``(n_events,)`` or per patient ``(n_patients, n_events)``.
    t : array, ``(n_t,)`` or ``(n_patients, n_t)``, days.
    method : {"auto", "grid", "superposition"}
        ``"grid"`` propagates the exponential terms exactly from one time of a shared 1-D grid to
        the next (fast for long grids); ``"superposition"`` sums every dose at every time (any
        grid). Both are exact; ``"auto"`` picks the grid path for shared grids of >= 8 times.

    Returns
    -------
    array ``(n_patients, n_t)`` (``(n_t,)`` when nothing is batched).
    """
    return _evaluate(pk, events, t, "conc", method)


def cumulative_auc(pk: LinearPK, events: DoseEvents, t: Any, *, method: str = "auto") -> np.ndarray:
    """``AUC(0 -> t)`` (mg*h/L) at days ``t`` (``t`` may be ``inf``): exact integral.

    Per dose and exponential term (``R = D/Tinf``):
    ``(R A/lam)[tau - (1 - e^{-lam tau})/lam] + (R A/lam^2)(1 - e^{-lam Tinf})(1 - e^{-lam s})``;
    for a bolus ``D (A/lam)(1 - e^{-lam s})``. ``method`` as in :func:`concentration`.
    """
    return _evaluate(pk, events, t, "auc", method)


def auc(pk: LinearPK, events: DoseEvents, t0: Any, t1: Any) -> np.ndarray:
    """Exact ``AUC`` (mg*h/L) of the central concentration between days ``t0`` and ``t1``.

    ``t0``, ``t1`` broadcast with each other (scalars or ``(n_t,)``); ``t1`` may be ``inf``.
    For one dose from ``t0 = dose time`` to ``inf`` this equals ``dose/CL``.
    """
    a, b = np.broadcast_arrays(np.asarray(t0, float), np.asarray(t1, float))
    shape = a.shape
    both = np.concatenate([a.ravel(), b.ravel()])
    F = cumulative_auc(pk, events, both)
    n = a.size
    res = F[..., n:] - F[..., :n]
    return res.reshape(res.shape[:-1] + shape)


def interval_mean_concentration(pk: LinearPK, events: DoseEvents, t_edges: Any) -> np.ndarray:
    """Mean concentration (mg/L) over each interval of a grid of days, ``AUC/(24 dt)``.

    The exposure input of kill terms on a piecewise-constant simulator grid (e.g. daily mean
    concentration with ``t_edges = 0, 1, 2, ...``). Shape ``(n_patients, n_edges - 1)``.
    """
    edges = np.asarray(t_edges, float)
    if edges.ndim != 1 or np.any(np.diff(edges) <= 0):
        raise ConfigError("t_edges must be a strictly increasing 1-D grid of days")
    F = cumulative_auc(pk, events, edges)
    return np.diff(F, axis=-1) / (np.diff(edges) * HOURS_PER_DAY)


# ------------------------------------------------------------------ K-PD / dose exposures
def constant_dose_exposure(events: DoseEvents, t: Any, *, end_day: Any) -> np.ndarray:
    """Claret-type constant exposure: mean weekly dose in **g/week** while on treatment.

    ``E(t) = total dose (g) / ((end_day - first dose day)/7)`` for ``first <= t < end_day``,
    else 0 (Claret L et al. J Clin Oncol 2009;27:4103: exposure = dose;
    with FU 425 mg/m^2 d1-5 q4w at 1.8 m^2 this is 3.825 g / 4 wk = 0.956 g/week).
    """
    t = np.asarray(t, float)
    first = np.min(np.where(events.amount > 0, events.time, np.inf), axis=-1)
    end = np.broadcast_to(np.asarray(end_day, float), first.shape)
    if np.any(end <= first):
        raise ConfigError("end_day must be after the first dose")
    weekly_g = events.total() / 1000.0 / ((end - first) / 7.0)
    on = (t >= first[..., None]) & (t < end[..., None]) if first.ndim else (t >= first) & (t < end)
    w = weekly_g[..., None] if first.ndim else weekly_g
    return np.where(on, w, 0.0)


def kpd_exposure(events: DoseEvents, t: Any, kde_per_day: Any) -> np.ndarray:
    """K-PD exposure in **g/week**: ``7/1000 * kde * A(t)`` of a virtual compartment
    ``dA/dt = input(t) - kde A`` (Jacqmin P et al., J Pharmacokinet Pharmacodyn 2007;34:57).

    The long-run mean equals the mean weekly dose, so Claret's KD (per g/week) applies to both
    this and :func:`constant_dose_exposure`. ``kde_per_day`` scalar or ``(n_patients,)``.
    """
    kde = _pos(kde_per_day, "kde")
    virtual = LinearPK.one_compartment(kde / HOURS_PER_DAY, 1.0)  # V = 1 L: A(t) in mg
    amount = concentration(virtual, events, t)
    k = kde[..., None] if kde.ndim else kde
    return 7.0 / 1000.0 * k * amount
