"""Linear-quadratic (LQ) radiobiology: cell survival, BED, EQD2, repopulation, brachytherapy.

Formulas (all standard; units Gy, days, hours as stated):

* surviving fraction of one acute fraction of ``d`` Gy: ``S = exp(-alpha d - beta d^2)``
  (Fowler JF, Br J Radiol 1989;62:679 "The linear-quadratic formula and progress in fractionated
  radiotherapy"; docs/treatment.md#radiotherapy);
* biologically effective dose of ``n`` fractions of ``d`` Gy: ``BED = n d (1 + d/(alpha/beta))``
  (Fowler 1989);
* with repopulation after a kick-off time ``Tk`` over an overall time ``T`` (days):
  ``BED = n d (1 + d/(alpha/beta)) - ln2 max(T - Tk, 0)/(alpha Tpot)`` (Fowler 1989; Withers HR et
  al., Acta Oncol 1988;27:131 for the kick-off time), floored at 0 (:func:`net_bed`): the
  repopulation term removes effect the dose had, it cannot turn a dose into a negative one
  (Fowler 1989 derives it as dose "wasted" on regrowth). A course so long that regrowth outpaces
  the dose has BED 0 here; the simulator's cell kinetics are not floored (net regrowth still
  grows the tumour there);
* equivalent dose in 2-Gy fractions: ``EQD2 = BED / (1 + 2/(alpha/beta))``;
* continuous low-dose-rate (LDR) irradiation at ``R`` Gy/h for ``T`` h with mono-exponential
  repair at rate ``mu`` per hour (Lea-Catcheside incomplete-repair factor; Dale RG, Br J Radiol
  1985;58:515): ``BED = D [1 + g(mu T) D/(alpha/beta)]``, ``D = R T``,
  ``g(x) = 2 (x - 1 + exp(-x))/x^2``. For ``mu T >> 1`` this is ``R T [1 + 2R/(mu alpha/beta)]``
  (the form in docs/treatment.md#radiotherapy);
* permanent implant with decay constant ``lam`` (1/h) and initial rate ``R0``:
  ``BED = (R0/lam)[1 + R0/((mu + lam)(alpha/beta))]`` (Dale 1985);
* isoeffect between fraction sizes: ``D2 = D1 (alpha/beta + d1)/(alpha/beta + d2)``
  (Withers HR, Thames HD, Peters LJ, Radiother Oncol 1983;1:187);
* Poisson tumour control probability: ``TCP = exp(-N0 S_total)`` (Munro TR, Gilbert CW, Br J
  Radiol 1961;34:246).

Radiosensitisation by concurrent chemotherapy is modelled as a dose-modifying factor
multiplying ``alpha`` (the "enhancement" mechanism of Steel GG, Peckham MJ, Int J Radiat Oncol
Biol Phys 1979;5:85). Its value is **illustrative** (:data:`CHEMO_ALPHA_FACTOR_ILLUSTRATIVE`).

Default tissue values (docs/treatment.md#radiotherapy): alpha/beta 10 Gy for most carcinomas and early
tissue, 3 Gy for late-reacting tissue (Thames HD et al., Int J Radiat Oncol Biol Phys 1990;19:219
review); alpha 0.3 /Gy with beta 0.03 /Gy^2 for tumour (oncosim defaults, **illustrative**).

oncodyn is research and teaching software, not a clinical decision tool.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from ..errors import ConfigError

LN2 = math.log(2.0)

#: alpha/beta of most carcinomas and early-reacting tissue, Gy (Thames et al. 1990 review).
ALPHA_BETA_TUMOUR = 10.0
#: alpha/beta of late-reacting normal tissue, Gy (Thames et al. 1990; 2-4 Gy, 3 conventional).
ALPHA_BETA_LATE = 3.0
#: Tumour alpha, 1/Gy (oncosim default, docs/treatment.md#radiotherapy; **illustrative**).
ALPHA_TUMOUR = 0.3
#: Tumour beta, 1/Gy^2 (alpha/beta 10 with alpha 0.3; **illustrative**).
BETA_TUMOUR = 0.03
#: Repair rate for LDR, 1/h (half-time ~1.5 h; textbook value, docs/treatment.md#radiotherapy).
MU_REPAIR_PER_H = 0.46
#: Multiplicative factor on alpha under concurrent chemotherapy (**illustrative**; concept of
#: Steel & Peckham 1979; no pooled clinical estimate is known to us).
CHEMO_ALPHA_FACTOR_ILLUSTRATIVE = 1.2


def _arr(x: Any, name: str, *, positive: bool = False, nonneg: bool = False) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if np.any(~np.isfinite(a)):
        raise ConfigError(f"{name} must be finite, got {x!r}")
    if positive and np.any(a <= 0):
        raise ConfigError(f"{name} must be > 0, got {x!r}")
    if nonneg and np.any(a < 0):
        raise ConfigError(f"{name} must be >= 0, got {x!r}")
    return a


# ------------------------------------------------------------------ elementary formulas
def surviving_fraction(d: Any, alpha: Any, beta: Any) -> np.ndarray:
    """Surviving fraction after one acute fraction: ``S = exp(-alpha d - beta d^2)``.

    Parameters
    ----------
    d : array_like
        Dose per fraction, Gy (>= 0).
    alpha : array_like
        1/Gy (>= 0); default tumour value 0.3 is illustrative (:data:`ALPHA_TUMOUR`).
    beta : array_like
        1/Gy^2 (>= 0).

    Reference: Fowler 1989 Br J Radiol 62:679.
    """
    d = _arr(d, "dose per fraction", nonneg=True)
    a = _arr(alpha, "alpha", nonneg=True)
    b = _arr(beta, "beta", nonneg=True)
    return np.exp(-a * d - b * d * d)


def repopulation_bed_loss(T: Any, Tk: Any, Tpot: Any, alpha: Any) -> np.ndarray:
    """BED lost to repopulation: ``ln2 max(T - Tk, 0)/(alpha Tpot)`` (Gy).

    ``T`` overall treatment time (days, first to last fraction), ``Tk`` kick-off time (days),
    ``Tpot`` potential doubling time (days), ``alpha`` 1/Gy (Fowler 1989; Withers et al. 1988).
    """
    T = _arr(T, "time T", nonneg=True)
    Tk = _arr(Tk, "kick-off time Tk", nonneg=True)
    Tpot = _arr(Tpot, "Tpot", positive=True)
    alpha = _arr(alpha, "alpha", positive=True)
    return LN2 * np.maximum(T - Tk, 0.0) / (alpha * Tpot)


def net_bed(dose_bed: Any, loss: Any) -> np.ndarray:
    """BED of the dose minus the repopulation loss, floored at 0 Gy (module docstring).

    The one place where the floor is applied: :func:`bed`, :meth:`Course.bed` and the
    ``oncodyn radiation`` commands all call it.
    """
    return np.maximum(np.asarray(dose_bed, dtype=float) - np.asarray(loss, dtype=float), 0.0)


def summed_bed(courses: Any, alpha_beta: float, loss: float = 0.0) -> dict[str, Any]:
    """BED and EQD2 of each course and of their sum (e.g. external beam + brachytherapy).

    ``courses``: :class:`Fractionation` and/or :class:`ContinuousLDR` objects. The total is the sum
    of the courses' BEDs (complete repair between courses assumed) minus the repopulation
    ``loss`` (:func:`repopulation_bed_loss`), floored at 0 by :func:`net_bed`; EQD2 = BED /
    (1 + 2/(alpha/beta)) (Fowler 1989). One implementation for the API, ``oncodyn radiation`` and
    the web app.

    Returns ``{"courses": [{"total_dose_gy", "bed_gy", "eqd2_gy"}, ...], "bed_gy", "eqd2_gy"}``.
    """
    if not (math.isfinite(alpha_beta) and alpha_beta > 0):
        raise ConfigError(f"alpha/beta must be a number > 0 Gy, got {alpha_beta}")
    rows = []
    for c in courses:
        b = float(c.bed(alpha_beta))
        rows.append({"total_dose_gy": float(c.total_dose), "bed_gy": b,
                     "eqd2_gy": float(eqd2_from_bed(b, alpha_beta))})
    total = float(net_bed(sum(r["bed_gy"] for r in rows), loss))
    return {"courses": rows, "bed_gy": total, "eqd2_gy": float(eqd2_from_bed(total, alpha_beta))}


def _fraction_count(n: Any) -> np.ndarray:
    """Number(s) of fractions: finite whole numbers >= 0 (2.5 fractions do not exist)."""
    a = _arr(n, "number of fractions", nonneg=True)
    if np.any(a != np.round(a)):
        raise ConfigError(f"number of fractions must be a whole number, got {n!r}")
    return a


def _repop(T: Any, Tk: Any, Tpot: Any, alpha: Any) -> np.ndarray | float:
    given = [x is not None for x in (T, Tk, Tpot, alpha)]
    if not any(given):
        return 0.0
    if not all(given):
        missing = [n for n, g in zip(("T", "Tk", "Tpot", "alpha"), given, strict=True) if not g]
        raise ConfigError("repopulation needs T, Tk, Tpot and alpha together; missing: "
                          + ", ".join(missing))
    return repopulation_bed_loss(T, Tk, Tpot, alpha)


def bed(n: Any, d: Any, alpha_beta: Any, *, T: Any = None, Tk: Any = None, Tpot: Any = None,
        alpha: Any = None) -> np.ndarray:
    """Biologically effective dose (Gy) of ``n`` fractions of ``d`` Gy.

    ``BED = max(n d (1 + d/(alpha/beta)) - ln2 max(T - Tk, 0)/(alpha Tpot), 0)``; the repopulation
    term is used only when ``T``, ``Tk``, ``Tpot`` and ``alpha`` are all given (days, days, days,
    1/Gy) and never makes the BED negative (:func:`net_bed`). ``n`` must be a whole number.
    Sources: Fowler 1989 Br J Radiol 62:679; Withers et al. 1988 Acta Oncol 27:131.
    """
    n = _fraction_count(n)
    d = _arr(d, "dose per fraction", nonneg=True)
    ab = _arr(alpha_beta, "alpha/beta", positive=True)
    with np.errstate(over="ignore"):
        dose_bed = n * d * (1.0 + d / ab)
    if not np.all(np.isfinite(dose_bed)):
        raise ConfigError(f"BED of {n.tolist()} fractions of {d.tolist()} Gy overflows: not a physical dose")
    return net_bed(dose_bed, _repop(T, Tk, Tpot, alpha))


def eqd2_from_bed(bed_gy: Any, alpha_beta: Any) -> np.ndarray:
    """``EQD2 = BED/(1 + 2/(alpha/beta))`` (Gy)."""
    ab = _arr(alpha_beta, "alpha/beta", positive=True)
    return np.asarray(bed_gy, dtype=float) / (1.0 + 2.0 / ab)


def eqd2(n: Any, d: Any, alpha_beta: Any, *, T: Any = None, Tk: Any = None, Tpot: Any = None,
         alpha: Any = None) -> np.ndarray:
    """Equivalent dose in 2-Gy fractions: ``n d (d + a/b)/(2 + a/b)`` minus repopulation.

    Same arguments as :func:`bed`; ``EQD2 = BED/(1 + 2/(alpha/beta))``.
    """
    return eqd2_from_bed(bed(n, d, alpha_beta, T=T, Tk=Tk, Tpot=Tpot, alpha=alpha), alpha_beta)


def incomplete_repair_g(x: Any) -> np.ndarray:
    """Lea-Catcheside factor for continuous irradiation, ``g(x) = 2(x - 1 + e^-x)/x^2``, ``x = mu T``.

    ``g(0) = 1`` (acute), ``g -> 2/x`` for large ``x`` (Dale 1985 Br J Radiol 58:515). Evaluated
    with a series for small ``x`` to avoid cancellation.
    """
    x = np.asarray(x, dtype=float)
    small = x < 1e-3
    xs = np.where(small, 1.0, x)
    general = 2.0 * (xs + np.expm1(-xs)) / (xs * xs)
    series = 1.0 - x / 3.0 + x * x / 12.0
    return np.where(small, series, general)


def bed_ldr(rate: Any, time: Any, alpha_beta: Any, mu: Any = MU_REPAIR_PER_H) -> np.ndarray:
    """BED (Gy) of continuous LDR irradiation at ``rate`` Gy/h for ``time`` hours.

    ``BED = D [1 + g(mu T) D/(alpha/beta)]``, ``D = rate*time`` (Dale 1985). ``mu`` is the repair
    rate in 1/h (default 0.46 /h, half-time 1.5 h, docs/treatment.md#radiotherapy); ``mu = inf`` gives
    ``BED = D`` (full repair), ``mu -> 0`` gives the acute single-fraction BED.
    """
    r = _arr(rate, "dose rate", nonneg=True)
    t = _arr(time, "irradiation time", nonneg=True)
    ab = _arr(alpha_beta, "alpha/beta", positive=True)
    mu = np.asarray(mu, dtype=float)
    if np.any(np.isnan(mu)) or np.any(mu < 0):
        raise ConfigError(f"repair rate mu must be >= 0, got {mu!r}")
    dose = r * t
    with np.errstate(invalid="ignore", over="ignore"):
        g = np.where(np.isinf(mu), 0.0, incomplete_repair_g(np.where(np.isinf(mu), 1.0, mu) * t))
    return dose * (1.0 + g * dose / ab)


def bed_permanent_implant(initial_rate: Any, half_life_h: Any, alpha_beta: Any,
                          mu: Any = MU_REPAIR_PER_H) -> np.ndarray:
    """BED (Gy) of a permanent decaying implant: ``(R0/lam)[1 + R0/((mu+lam) a/b)]`` (Dale 1985).

    ``initial_rate`` Gy/h, ``half_life_h`` of the isotope in hours (e.g. I-125: 59.4 d), ``mu``
    repair rate 1/h. Repopulation during the implant is ignored.
    """
    r0 = _arr(initial_rate, "initial dose rate", nonneg=True)
    lam = LN2 / _arr(half_life_h, "half-life", positive=True)
    ab = _arr(alpha_beta, "alpha/beta", positive=True)
    mu = _arr(mu, "repair rate mu", nonneg=True)
    return (r0 / lam) * (1.0 + r0 / ((mu + lam) * ab))


def isoeffective_dose(total_dose: Any, d_from: Any, d_to: Any, alpha_beta: Any) -> np.ndarray:
    """Total dose in fractions of ``d_to`` Gy isoeffective to ``total_dose`` in ``d_from``.

    ``D2 = D1 (a/b + d1)/(a/b + d2)`` (Withers, Thames, Peters 1983 Radiother Oncol 1:187).
    """
    D1 = _arr(total_dose, "total dose", nonneg=True)
    d1 = _arr(d_from, "dose per fraction (from)", nonneg=True)
    d2 = _arr(d_to, "dose per fraction (to)", nonneg=True)
    ab = _arr(alpha_beta, "alpha/beta", positive=True)
    return D1 * (ab + d1) / (ab + d2)


def tcp_poisson(n_clonogens: Any, surviving: Any) -> np.ndarray:
    """Poisson tumour control probability ``exp(-N0 S)`` (Munro & Gilbert 1961 Br J Radiol 34:246).

    ``surviving`` is the overall surviving fraction (product of per-fraction survivals).
    """
    n0 = _arr(n_clonogens, "number of clonogens", nonneg=True)
    s = _arr(surviving, "surviving fraction", nonneg=True)
    return np.exp(-n0 * s)


def sensitised_alpha(alpha: Any, factor: Any = CHEMO_ALPHA_FACTOR_ILLUSTRATIVE) -> np.ndarray:
    """``alpha`` multiplied by a chemotherapy radiosensitisation factor (>= 1 enhances).

    Enhancement concept: Steel & Peckham 1979 Int J Radiat Oncol Biol Phys 5:85; the default
    factor 1.2 is **illustrative**.
    """
    return _arr(alpha, "alpha", nonneg=True) * _arr(factor, "sensitisation factor", positive=True)


# ------------------------------------------------------------------ schedules
Modality = Literal["ebrt", "hdr"]


@dataclass(frozen=True)
class Repopulation:
    """Repopulation during treatment: BED loss ``ln2 (T - Tk)/(alpha Tpot)`` for ``T > Tk``.

    Defaults are **illustrative** head-and-neck values (docs/treatment.md#radiotherapy): ``Tk`` 28 d
    (Withers et al. 1988 Acta Oncol 27:131, kick-off 21-28 d), ``Tpot`` 3 d (2-5 d), ``alpha``
    0.35 /Gy (gives ~0.66 Gy BED10 per day, ~0.55 Gy EQD2 per day).
    """

    Tk: float = 28.0
    Tpot: float = 3.0
    alpha: float = 0.35

    def __post_init__(self) -> None:
        if not (self.Tk >= 0 and self.Tpot > 0 and self.alpha > 0):
            raise ConfigError(f"repopulation needs Tk >= 0, Tpot > 0, alpha > 0; got {self}")

    def bed_loss(self, T: Any) -> np.ndarray:
        """BED (Gy) lost over an overall time ``T`` (days)."""
        return repopulation_bed_loss(T, self.Tk, self.Tpot, self.alpha)


@dataclass(frozen=True)
class Fractionation:
    """Acute fractions: external beam (``"ebrt"``) or HDR brachytherapy (``"hdr"``).

    Parameters
    ----------
    n_fractions : int
    dose_per_fraction : float
        Gy per fraction at the point/volume of interest.
    modality : {"ebrt", "hdr"}
    start_day : float
        Day of the first fraction.
    fractions_per_week : int
        Fractions are given on consecutive days, ``fractions_per_week`` per 7-day week
        (5 = Monday-Friday external beam; 1 = weekly HDR). Ignored when ``times`` is given.
    times : tuple of float, optional
        Explicit fraction days (length ``n_fractions``, non-decreasing).
    """

    n_fractions: int
    dose_per_fraction: float
    modality: Modality = "ebrt"
    start_day: float = 0.0
    fractions_per_week: int = 5
    times: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if int(self.n_fractions) != self.n_fractions or self.n_fractions < 1:
            raise ConfigError(f"number of fractions must be a positive integer, got {self.n_fractions}")
        if not (math.isfinite(self.dose_per_fraction) and self.dose_per_fraction > 0):
            raise ConfigError(f"dose per fraction must be > 0 Gy, got {self.dose_per_fraction}")
        if self.modality not in ("ebrt", "hdr"):
            raise ConfigError(f"modality must be 'ebrt' or 'hdr', got {self.modality!r}")
        if not (1 <= self.fractions_per_week <= 7):
            raise ConfigError(f"fractions_per_week must be in 1..7, got {self.fractions_per_week}")
        if self.times is not None:
            t = np.asarray(self.times, float)
            if t.shape != (self.n_fractions,) or np.any(np.diff(t) < 0) or not np.all(np.isfinite(t)):
                raise ConfigError(f"times must be {self.n_fractions} finite non-decreasing days")

    @classmethod
    def parse(cls, text: str, **kwargs: Any) -> Fractionation:
        """``"25x1.8"`` -> 25 fractions of 1.8 Gy (also ``"25 x 1.8"``, ``"25*1.8"``)."""
        s = text.strip().lower().replace(" ", "").replace("*", "x").replace("gy", "")
        parts = s.split("x")
        try:
            if len(parts) != 2:
                raise ValueError
            n_f = float(parts[0])
            d = float(parts[1])
        except ValueError:
            raise ConfigError(f"course {text!r}: expected NxD, e.g. 25x1.8 (N fractions of D Gy)") from None
        if not (math.isfinite(n_f) and math.isfinite(d)):
            raise ConfigError(f"course {text!r}: N and D must be finite numbers")
        if n_f != int(n_f):
            raise ConfigError(f"course {text!r}: the number of fractions must be an integer")
        return cls(int(n_f), d, **kwargs)

    @property
    def total_dose(self) -> float:
        return self.n_fractions * self.dose_per_fraction

    def fraction_times(self) -> np.ndarray:
        """Fraction days, shape ``(n_fractions,)``."""
        if self.times is not None:
            return np.asarray(self.times, float)
        k = np.arange(self.n_fractions)
        if self.fractions_per_week == 1:
            return self.start_day + 7.0 * k
        return self.start_day + 7.0 * (k // self.fractions_per_week) + (k % self.fractions_per_week)

    def fraction_doses(self) -> np.ndarray:
        return np.full(self.n_fractions, float(self.dose_per_fraction))

    def fraction_g(self) -> np.ndarray:
        """Lea-Catcheside factor per fraction (1: acute fractions)."""
        return np.ones(self.n_fractions)

    def overall_time(self) -> float:
        """Days from the first to the last fraction."""
        t = self.fraction_times()
        return float(t[-1] - t[0])

    def end_day(self) -> float:
        """Day of the last fraction."""
        return float(self.fraction_times()[-1])

    def bed(self, alpha_beta: Any) -> np.ndarray:
        return bed(self.n_fractions, self.dose_per_fraction, alpha_beta)

    def eqd2(self, alpha_beta: Any) -> np.ndarray:
        return eqd2(self.n_fractions, self.dose_per_fraction, alpha_beta)

    def log_survival(self, alpha: Any, beta: Any) -> np.ndarray:
        """Natural log of the overall surviving fraction, ``-n (alpha d + beta d^2)``."""
        return self.n_fractions * np.log(surviving_fraction(self.dose_per_fraction, alpha, beta))

    def describe(self) -> str:
        return f"{self.modality.upper()} {self.n_fractions} x {self.dose_per_fraction:g} Gy"


@dataclass(frozen=True)
class ContinuousLDR:
    """Continuous low-dose-rate brachytherapy at ``rate_gy_h`` for ``duration_h`` hours.

    ``mu_per_h`` repair rate (default 0.46 /h, docs/treatment.md#radiotherapy). BED by :func:`bed_ldr`.
    """

    rate_gy_h: float
    duration_h: float
    start_day: float = 0.0
    mu_per_h: float = MU_REPAIR_PER_H

    def __post_init__(self) -> None:
        if not (self.rate_gy_h > 0 and self.duration_h > 0 and self.mu_per_h >= 0):
            raise ConfigError(f"LDR needs rate > 0, duration > 0, mu >= 0; got {self}")

    modality: ClassVar[str] = "ldr"

    @property
    def total_dose(self) -> float:
        return self.rate_gy_h * self.duration_h

    def fraction_times(self) -> np.ndarray:
        return np.array([self.start_day])

    def fraction_doses(self) -> np.ndarray:
        return np.array([self.total_dose])

    def fraction_g(self) -> np.ndarray:
        """Lea-Catcheside factor ``g(mu T)`` of the implant, treated as one "fraction"."""
        return np.atleast_1d(incomplete_repair_g(self.mu_per_h * self.duration_h))

    def overall_time(self) -> float:
        return self.duration_h / 24.0

    def end_day(self) -> float:
        """Day the implant is removed."""
        return self.start_day + self.duration_h / 24.0

    def bed(self, alpha_beta: Any) -> np.ndarray:
        return bed_ldr(self.rate_gy_h, self.duration_h, alpha_beta, self.mu_per_h)

    def eqd2(self, alpha_beta: Any) -> np.ndarray:
        return eqd2_from_bed(self.bed(alpha_beta), alpha_beta)

    def log_survival(self, alpha: Any, beta: Any) -> np.ndarray:
        """``-(alpha D + beta g(mu T) D^2)`` (Dale 1985)."""
        D = self.total_dose
        g = incomplete_repair_g(self.mu_per_h * self.duration_h)
        return -(np.asarray(alpha, float) * D + np.asarray(beta, float) * g * D * D)

    def describe(self) -> str:
        return f"LDR {self.rate_gy_h:g} Gy/h x {self.duration_h:g} h"


Component = Fractionation | ContinuousLDR


@dataclass(frozen=True)
class Course:
    """A radiotherapy course: components (external beam, HDR, LDR) summed in EQD2.

    ``repopulation`` (optional) subtracts the BED lost over the overall time from the first to
    the last fraction of all components (Fowler 1989).
    """

    components: tuple[Component, ...]
    repopulation: Repopulation | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if not self.components:
            raise ConfigError("a radiotherapy course needs at least one component")

    def overall_time(self) -> float:
        """Days from the first fraction (or implant) to the end of the last component."""
        first = min(float(c.fraction_times()[0]) for c in self.components)
        return max(c.end_day() for c in self.components) - first

    def bed(self, alpha_beta: Any) -> np.ndarray:
        total = sum(c.bed(alpha_beta) for c in self.components)
        if self.repopulation is not None:
            total = net_bed(total, self.repopulation.bed_loss(self.overall_time()))
        return np.asarray(total, float)

    def eqd2(self, alpha_beta: Any) -> np.ndarray:
        return eqd2_from_bed(self.bed(alpha_beta), alpha_beta)

    def fraction_times(self) -> np.ndarray:
        return np.concatenate([c.fraction_times() for c in self.components])

    def fraction_doses(self) -> np.ndarray:
        return np.concatenate([c.fraction_doses() for c in self.components])

    def fraction_g(self) -> np.ndarray:
        return np.concatenate([c.fraction_g() for c in self.components])


def total_eqd2(components: Sequence[Component | Course], alpha_beta: Any) -> np.ndarray:
    """Sum of EQD2 (Gy) of several components, e.g. external beam plus HDR brachytherapy.

    Summation of EQD2 at a common point/volume is the GEC-ESTRO convention for EBRT + brachy
    (Potter R et al., Radiother Oncol 2006;78:67); each component's EQD2 uses its own fraction
    size. Example: 25 x 1.8 Gy + 4 x 7 Gy at alpha/beta 10 = 44.25 + 39.67 = 83.9 Gy.
    """
    if len(components) == 0:
        raise ConfigError("total_eqd2 needs at least one component")
    return np.asarray(sum(c.eqd2(alpha_beta) for c in components), float)


# ------------------------------------------------------------------ lesion-level helpers
def fraction_survival(doses: Any, alpha: Any, beta: Any, mask: Any = True, *,
                      alpha_factor: Any = 1.0, g: Any = 1.0) -> np.ndarray:
    """Surviving fraction of each fraction for each lesion (vectorised).

    Parameters
    ----------
    doses : array, shape ``(n_fractions,)`` or ``(..., n_lesions, n_fractions)``
        Dose per fraction at each lesion, Gy.
    alpha, beta : array, broadcastable to ``(..., n_lesions)``
        LQ parameters per lesion (1/Gy, 1/Gy^2).
    mask : bool array, broadcastable to ``(..., n_lesions)``
        True where the lesion is in the field; others get survival 1.
    alpha_factor : array broadcastable to ``(..., n_lesions)`` or ``(..., n_lesions, n_fractions)``
        Chemotherapy radiosensitisation factor on alpha (1 = none; see :func:`sensitised_alpha`).
    g : array broadcastable to ``doses``
        Lea-Catcheside factor per fraction (1 for acute fractions; ``Course.fraction_g()`` gives
        ``g(mu T)`` for an LDR implant, delivered over hours and applied at its start day).

    Returns
    -------
    array, shape ``(..., n_lesions, n_fractions)``
        ``exp(-f alpha d - g beta d^2)`` where irradiated, else 1.
    """
    d = _arr(doses, "doses", nonneg=True)
    a = _arr(alpha, "alpha", nonneg=True)[..., None]
    b = _arr(beta, "beta", nonneg=True)[..., None]
    f = _arr(alpha_factor, "alpha_factor", positive=True)
    if f.ndim and f.ndim == a.ndim - 1:  # per lesion -> add fraction axis
        f = f[..., None]
    m = np.asarray(mask, dtype=bool)[..., None]
    gg = _arr(g, "g", nonneg=True)
    s = np.exp(-f * a * d - gg * b * d * d)
    return np.where(m, s, 1.0)


def interval_survival(times: Any, survival: Any, t_edges: Any) -> np.ndarray:
    """Product of per-fraction survivals falling in each interval ``[t_k, t_{k+1})``.

    Parameters
    ----------
    times : array, shape ``(n_fractions,)`` or broadcastable to ``survival``
        Fraction days.
    survival : array, shape ``(..., n_fractions)``
        From :func:`fraction_survival`.
    t_edges : array, shape ``(n_edges,)``
        Increasing simulator grid (days).

    Returns
    -------
    array, shape ``(..., n_edges - 1)``
        Survival factor to apply to the irradiated (sensitive) cells over each interval; computed
        as ``exp(sum log S)`` so zero survivals are handled.
    """
    edges = np.asarray(t_edges, float)
    if edges.ndim != 1 or np.any(np.diff(edges) <= 0):
        raise ConfigError("t_edges must be a strictly increasing 1-D grid of days")
    s = np.asarray(survival, float)
    t = np.broadcast_to(np.asarray(times, float), s.shape)
    with np.errstate(divide="ignore"):
        logs = np.log(s)
    out = np.zeros(s.shape[:-1] + (edges.size - 1,))
    for k in range(edges.size - 1):
        inside = (t >= edges[k]) & (t < edges[k + 1])
        out[..., k] = np.sum(np.where(inside, logs, 0.0), axis=-1)
    return np.exp(out)
