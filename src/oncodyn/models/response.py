"""Tumour response laws under treatment: Stein/Wang biexponential, Claret, Norton–Simon,
two-population resistance and Simeoni transit-compartment kill.

Every law is a registered :class:`~oncodyn.models.Model` of ``kind="response"``. Time is in days;
sizes are in mm (SLD, the RECIST sum of longest diameters, or one lesion's diameter) unless a
model says otherwise. Rates published per week are converted with 1 wk = 7 d. Parameter 0 is
always the size at t = 0. Laws driven by a drug declare ``inputs=("exposure",)``; the exposure
``E(t)`` is passed as ``Model.predict(t, p, exposure=...)`` (a constant, one value per series,
or a callable ``E(t)``, which forces the ODE path).

Each default names its source in the model reference (docs/models.md#response-models); values
marked illustrative have none. oncodyn is research/teaching
software, not a clinical decision tool.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._spec import Model, Parameter, register
from .check import CheckHints, set_check_hints

WEEK = 7.0
_ILL = "illustrative"
_STRUEMPER = ("Struemper 2025 CPT Pharmacometrics Syst Pharmacol 14:1006 Tables 2-3, docetaxel "
              "(CHEMO) arm, as transcribed in nlmixr2lib Struemper_2025_tumorsize_OS_nsclc.R")
_CLARET09 = ("Claret 2009 J Clin Oncol 27:4103, FU phase III, as used in a public Pumas "
             "exercise citing PMID 19636014")
_CLARET14 = ("Claret 2014 Clin Pharmacol Ther 95:446 Suppl Table S1 / Table 3 (MONET1), as "
             "transcribed in nlmixr2lib Claret_2014_motesanib_tumorsize_OS.R")
_SIMEONI = ("Simeoni 2004 Cancer Res 64:1094 Table 2, paclitaxel experiment 1, as transcribed in "
            "nlmixr2lib oncology_xenograft_simeoni_2004.R")
_TUBIANA = "ln2/83 d: Tubiana 1989 Acta Oncol 28:113 (adenocarcinoma lung metastases doubling time)"


def _col(p: Any, i: int) -> Any:
    """Parameter ``i`` as a column ``(..., 1)`` that broadcasts against times ``(..., n_t)``."""
    return p[..., i, None]


def _u(u: Any, xp: Any) -> Any:
    """Exposure (scalar or one value per series) as a column ``(..., 1)``."""
    return xp.asarray(u)[..., None]


def _init_y0(p: Any, xp: Any) -> Any:
    return p[..., 0:1]


def _cat(xp: Any, *cols: Any) -> Any:
    return xp.concatenate(cols, axis=-1)


def _y0_param(default: float, source: str, unit: str = "mm") -> Parameter:
    return Parameter("y0", unit, default, 1e-12, math.inf, "log",
                     "tumour size at t = 0 (baseline SLD)", source)


SLD0_STRUEMPER = _y0_param(86.07, _STRUEMPER)
KG = Parameter("g", "1/day", 0.01822 / WEEK, 0.0, math.inf, "log",
               "growth rate constant of the resistant/regrowing part (Bruno/Claret KG)",
               "0.01822/wk / 7: " + _STRUEMPER)
KS = Parameter("d", "1/day", 0.03566 / WEEK, 0.0, math.inf, "log",
               "decay (shrinkage) rate constant of the sensitive part (Bruno/Claret KS)",
               "0.03566/wk / 7: " + _STRUEMPER)

_STEIN_REF = ("Stein WD et al. 2008 (PSA, 112 prostate-cancer patients; PMC3313464) and Stein/Fojo "
              "group 2011 Oncologist, cited as Clin Cancer Res 14:5979 in the project brief "
              "(volume/page not checked against a stored copy); tumgr (CRAN) gdrate variants gd, "
              "gx, dx, gdphi; KG/KS notation: Bruno R, Claret L; defaults " + _STRUEMPER)


# ---------------------------------------------------------------- Stein biexponential
def _stein_gd_closed(t: Any, p: Any, u: Any, xp: Any) -> Any:
    y0, g, d = _col(p, 0), _col(p, 1), _col(p, 2)
    return y0 * (xp.exp(-d * t) + xp.expm1(g * t))


def _stein_gd_rhs(t: Any, y: Any, p: Any, u: Any, xp: Any) -> Any:
    # states: regressing part D = y0 e^{-dt}; regrowth excess X = y0 (e^{gt} - 1) >= 0
    y0, g, d = p[..., 0:1], p[..., 1:2], p[..., 2:3]
    return _cat(xp, -d * y[..., 0:1], g * (y[..., 1:2] + y0))


def _stein_gd_init(p: Any, xp: Any) -> Any:
    return _cat(xp, p[..., 0:1], 0.0 * p[..., 0:1])


stein_gd = register(Model(
    name="stein_gd",
    title="Stein biexponential growth-regression (g, d)",
    parameters=(SLD0_STRUEMPER, KG, KS),
    rhs=_stein_gd_rhs, initial_state=_stein_gd_init, closed_form=_stein_gd_closed,
    states=("regressing", "regrowth_excess"), kind="response",
    equation="y = y0 (exp(-d t) + exp(g t) - 1); ODE: D' = -d D, X' = g (X + y0), y = D + X; "
             "nadir (time to regrowth) TTG = (ln d - ln g)/(g + d)",
    reference=_STEIN_REF,
))


def _stein_gx_closed(t: Any, p: Any, u: Any, xp: Any) -> Any:
    return _col(p, 0) * xp.exp(_col(p, 1) * t)


def _stein_gx_rhs(t: Any, y: Any, p: Any, u: Any, xp: Any) -> Any:
    return p[..., 1:2] * y


stein_gx = register(Model(
    name="stein_gx",
    title="Stein growth-only (gx)",
    parameters=(SLD0_STRUEMPER, KG),
    rhs=_stein_gx_rhs, initial_state=_init_y0, closed_form=_stein_gx_closed, kind="response",
    equation="y = y0 exp(g t);  dy/dt = g y",
    reference=_STEIN_REF,
))


def _stein_dx_closed(t: Any, p: Any, u: Any, xp: Any) -> Any:
    return _col(p, 0) * xp.exp(-_col(p, 1) * t)


def _stein_dx_rhs(t: Any, y: Any, p: Any, u: Any, xp: Any) -> Any:
    return -p[..., 1:2] * y


stein_dx = register(Model(
    name="stein_dx",
    title="Stein decay-only (dx)",
    parameters=(SLD0_STRUEMPER, KS),
    rhs=_stein_dx_rhs, initial_state=_init_y0, closed_form=_stein_dx_closed, kind="response",
    equation="y = y0 exp(-d t);  dy/dt = -d y",
    reference=_STEIN_REF,
))


def _stein_phi_closed(t: Any, p: Any, u: Any, xp: Any) -> Any:
    y0, g, d, phi = _col(p, 0), _col(p, 1), _col(p, 2), _col(p, 3)
    return y0 * (phi * xp.exp(g * t) + (1.0 - phi) * xp.exp(-d * t))


def _stein_phi_rhs(t: Any, y: Any, p: Any, u: Any, xp: Any) -> Any:
    g, d = p[..., 1:2], p[..., 2:3]
    return _cat(xp, g * y[..., 0:1], -d * y[..., 1:2])


def _stein_phi_init(p: Any, xp: Any) -> Any:
    y0, phi = p[..., 0:1], p[..., 3:4]
    return _cat(xp, phi * y0, (1.0 - phi) * y0)


stein_gdphi = register(Model(
    name="stein_gdphi",
    title="Stein growth-regression with resistant fraction (gdphi)",
    parameters=(SLD0_STRUEMPER, KG, KS,
                Parameter("phi", "1", 0.2, 0.0, 1.0, "logit",
                          "fraction of the tumour that grows (resistant) at t = 0", _ILL)),
    rhs=_stein_phi_rhs, initial_state=_stein_phi_init, closed_form=_stein_phi_closed,
    states=("growing", "regressing"), kind="response",
    equation="y = y0 (phi exp(g t) + (1 - phi) exp(-d t)); G' = g G, D' = -d D, y = G + D; "
             "TTG = ln((1 - phi) d / (phi g))/(g + d)",
    reference=_STEIN_REF,
))


# ---------------------------------------------------------------- Wang 2009
def _wang_closed(t: Any, p: Any, u: Any, xp: Any) -> Any:
    return _col(p, 0) * xp.exp(-_col(p, 1) * t) + _col(p, 2) * t


def _wang_rhs(t: Any, y: Any, p: Any, u: Any, xp: Any) -> Any:
    sr, pr = p[..., 1:2], p[..., 2:3]
    return _cat(xp, -sr * y[..., 0:1], pr + 0.0 * y[..., 1:2])


def _wang_init(p: Any, xp: Any) -> Any:
    return _cat(xp, p[..., 0:1], 0.0 * p[..., 0:1])


wang = register(Model(
    name="wang",
    title="Wang exponential shrinkage plus linear progression",
    parameters=(SLD0_STRUEMPER,
                Parameter("sr", "1/day", 0.01, 0.0, math.inf, "log",
                          "shrinkage rate constant", _ILL),
                Parameter("pr", "mm/day", 0.1, 0.0, math.inf, "log",
                          "linear progression rate", _ILL)),
    rhs=_wang_rhs, initial_state=_wang_init, closed_form=_wang_closed,
    states=("shrinking", "progression"), kind="response",
    equation="y = y0 exp(-SR t) + PR t; ODE: S' = -SR S, P' = PR, y = S + P; "
             "nadir at t = ln(SR y0 / PR)/SR when SR y0 > PR",
    reference="Wang Y, Sung C, Dartois C et al. 2009 Clin Pharmacol Ther 86:167 (NSCLC). "
              "Structure as usually quoted, not checked against a stored copy of the paper; "
              "SR and PR defaults are illustrative (paper values not seen); y0 from Struemper 2025",
))


# ---------------------------------------------------------------- Claret
def _resistance_integral(lam: Any, t: Any, xp: Any) -> Any:
    """int_0^t exp(-lam s) ds = (1 - exp(-lam t))/lam, equal to t when lam = 0."""
    pos = lam > 0
    lam_safe = xp.where(pos, lam, 1.0)
    return xp.where(pos, -xp.expm1(-lam_safe * t) / lam_safe, t)


def _claret_closed(t: Any, p: Any, u: Any, xp: Any) -> Any:
    y0, kl, kd, lam = _col(p, 0), _col(p, 1), _col(p, 2), _col(p, 3)
    return y0 * xp.exp(kl * t - kd * _u(u, xp) * _resistance_integral(lam, t, xp))


def _claret_rhs(t: Any, y: Any, p: Any, u: Any, xp: Any) -> Any:
    kl, kd, lam = p[..., 1:2], p[..., 2:3], p[..., 3:4]
    return (kl - kd * _u(u, xp) * xp.exp(-lam * t)) * y


claret = register(Model(
    name="claret",
    title="Claret tumour growth inhibition with drug-effect decay (resistance)",
    parameters=(_y0_param(80.0, _ILL),
                Parameter("kl", "1/day", 0.015 / WEEK, 0.0, math.inf, "log",
                          "tumour growth rate constant", "0.015/wk / 7: " + _CLARET09),
                Parameter("kd", "1/(g day)", 0.058 / WEEK, 0.0, math.inf, "log",
                          "drug kill rate per unit exposure (exposure = dose in g)",
                          "0.058/(g wk) / 7: " + _CLARET09),
                Parameter("lam", "1/day", 0.042 / WEEK, 0.0, math.inf, "log",
                          "rate of decay of the drug effect (resistance)",
                          "0.042/wk / 7: " + _CLARET09)),
    rhs=_claret_rhs, initial_state=_init_y0, closed_form=_claret_closed,
    inputs=("exposure",), kind="response",
    equation="dy/dt = KL y - KD E(t) exp(-lam t) y; constant E: "
             "y = y0 exp(KL t - (KD E/lam)(1 - exp(-lam t))); TTG = ln(KD E/KL)/lam. "
             "E in g (Claret 2009 used the FU dose, e.g. 0.765 g/day on days 1-5 q4w)",
    reference="Claret L et al. 2009 J Clin Oncol 27:4103 (capecitabine / 5-FU, colorectal); "
              "defaults " + _CLARET09,
))


def _claret_ts_closed(t: Any, p: Any, u: Any, xp: Any) -> Any:
    y0, kl, kde, lam = _col(p, 0), _col(p, 1), _col(p, 2), _col(p, 3)
    return y0 * xp.exp(kl * t - kde * _resistance_integral(lam, t, xp))


def _claret_ts_rhs(t: Any, y: Any, p: Any, u: Any, xp: Any) -> Any:
    kl, kde, lam = p[..., 1:2], p[..., 2:3], p[..., 3:4]
    return (kl - kde * xp.exp(-lam * t)) * y


claret_ts = register(Model(
    name="claret_ts",
    title="Claret tumour-size model without exposure (Claret 2014)",
    parameters=(_y0_param(90.0, "90 mm baseline SLD: " + _CLARET14),
                Parameter("kl", "1/day", 0.00107, 0.0, math.inf, "log",
                          "tumour growth rate constant", _CLARET14),
                Parameter("kde", "1/day", 0.0103, 0.0, math.inf, "log",
                          "initial drug-effect (kill) rate constant",
                          _CLARET14 + "; KDE and lambda swapped back as nlmixr2lib justifies"),
                Parameter("lam", "1/day", 0.0193, 0.0, math.inf, "log",
                          "rate of decay of the drug effect (resistance)",
                          _CLARET14 + "; KDE and lambda swapped back as nlmixr2lib justifies")),
    rhs=_claret_ts_rhs, initial_state=_init_y0, closed_form=_claret_ts_closed, kind="response",
    equation="dTS/dt = TS (KL - KDE exp(-lam t)); TS = TS0 exp(KL t - (KDE/lam)(1 - exp(-lam t)));"
             " TTG = ln(KDE/KL)/lam (about 117 d at the defaults)",
    reference="Claret L et al. 2014 Clin Pharmacol Ther 95:446 (motesanib + carboplatin/"
              "paclitaxel, NSCLC); defaults " + _CLARET14,
))


# ---------------------------------------------------------------- Norton-Simon (Gompertz)
def _ns_closed(t: Any, p: Any, u: Any, xp: Any) -> Any:
    v0, vinf, omega, k = _col(p, 0), _col(p, 1), _col(p, 2), _col(p, 3)
    rate = omega * (1.0 - k * _u(u, xp))
    return vinf * xp.exp(xp.log(v0 / vinf) * xp.exp(-rate * t))


def _ns_rhs(t: Any, y: Any, p: Any, u: Any, xp: Any) -> Any:
    vinf, omega, k = p[..., 1:2], p[..., 2:3], p[..., 3:4]
    growth = omega * y * xp.log(vinf / xp.maximum(y, 1e-300))
    return growth * (1.0 - k * _u(u, xp))


norton_simon = register(Model(
    name="norton_simon",
    title="Norton-Simon kill proportional to Gompertz growth",
    parameters=(_y0_param(20.0, _ILL),
                Parameter("v_inf", "mm", 200.0, 1e-12, math.inf, "log",
                          "Gompertz plateau size", _ILL),
                Parameter("omega", "1/day", 0.0084, 1e-9, math.inf, "log",
                          "Gompertz rate of approach to v_inf", _TUBIANA),
                Parameter("k", "1/exposure", 0.5, 0.0, math.inf, "log",
                          "kill per unit exposure, relative to the growth rate",
                          _ILL + " (no published value found)")),
    rhs=_ns_rhs, initial_state=_init_y0, closed_form=_ns_closed,
    inputs=("exposure",), kind="response",
    equation="dy/dt = g(y) (1 - k E), g(y) = omega y ln(v_inf/y); constant E: Gompertz with "
             "rate omega (1 - k E): y = v_inf exp(ln(y0/v_inf) exp(-omega (1 - k E) t))",
    reference="Norton L, Simon R 1977 Cancer Treat Rep 61:1307; Norton L 1988 Cancer Res 48:7067 "
              "(Gompertzian growth; kill proportional to the unperturbed growth rate)",
))


# ---------------------------------------------------------------- two populations
def _twopop_rhs(t: Any, y: Any, p: Any, u: Any, xp: Any) -> Any:
    gs, gr, vinf, kd, mu = (p[..., i:i + 1] for i in range(2, 7))
    s, r = y[..., 0:1], y[..., 1:2]
    crowd = 1.0 - (s + r) / vinf
    ds = gs * s * crowd - kd * _u(u, xp) * s - mu * s
    dr = gr * r * crowd + mu * s
    return _cat(xp, ds, dr)


def _twopop_init(p: Any, xp: Any) -> Any:
    y0, fr = p[..., 0:1], p[..., 1:2]
    return _cat(xp, (1.0 - fr) * y0, fr * y0)


two_population = register(Model(
    name="two_population",
    title="Sensitive/resistant two-population competition",
    parameters=(_y0_param(50.0, _ILL),
                Parameter("f_r", "1", 0.01, 0.0, 1.0, "logit",
                          "resistant fraction at t = 0", _ILL),
                Parameter("g_s", "1/day", 0.0084, 0.0, math.inf, "log",
                          "growth rate of sensitive cells", _TUBIANA),
                Parameter("g_r", "1/day", 0.0042, 0.0, math.inf, "log",
                          "growth rate of resistant cells (cost of resistance: g_r < g_s)", _ILL),
                Parameter("v_inf", "mm", 500.0, 1e-12, math.inf, "log",
                          "shared carrying capacity (math.inf: no competition)", _ILL),
                Parameter("k_d", "1/(exposure day)", 0.02, 0.0, math.inf, "log",
                          "kill rate of sensitive cells per unit exposure", _ILL),
                Parameter("mu", "1/day", 1e-4, 0.0, math.inf, "log",
                          "rate of switching from sensitive to resistant", _ILL)),
    rhs=_twopop_rhs, initial_state=_twopop_init, closed_form=None,
    states=("sensitive", "resistant"), inputs=("exposure",), kind="response",
    equation="dS/dt = gS S (1 - (S+R)/K) - kD E S - mu S; dR/dt = gR R (1 - (S+R)/K) + mu S; "
             "S(0) = (1 - f_R) y0, R(0) = f_R y0; y = S + R. No closed form for finite K; with "
             "K = inf and mu = 0: y = S0 exp((gS - kD E) t) + R0 exp(gR t)",
    reference="Generic two-population model; Goldie JH, Coldman AJ 1979 Cancer "
              "Treat Rep 63:1727 (resistance); Gatenby RA et al. 2009 Cancer Res 69:4894 and "
              "Zhang J et al. 2017 Nat Commun 8:1816 (competition between populations)",
))


# ---------------------------------------------------------------- Simeoni 2004
SIMEONI_PSI = 20.0
"""Switch sharpness psi, fixed at 20 by Simeoni 2004."""


def _simeoni_rhs(t: Any, y: Any, p: Any, u: Any, xp: Any) -> Any:
    l0, l1, k1, k2 = p[..., 1:2], p[..., 2:3], p[..., 3:4], p[..., 4:5]
    x1, x2, x3, x4 = (y[..., i:i + 1] for i in range(4))
    w = x1 + x2 + x3 + x4
    # (1 + z^psi)^(1/psi) computed as max(z,1) (1 + min(z,1/z)^psi)^(1/psi): no overflow
    z = xp.maximum(l0 * w / l1, 1e-300)
    small = xp.minimum(z, 1.0 / z)
    denom = xp.maximum(z, 1.0) * (1.0 + small ** SIMEONI_PSI) ** (1.0 / SIMEONI_PSI)
    kill = k2 * _u(u, xp) * x1
    return _cat(xp, l0 * x1 / denom - kill, kill - k1 * x2, k1 * (x2 - x3), k1 * (x3 - x4))


def _simeoni_init(p: Any, xp: Any) -> Any:
    zero = 0.0 * p[..., 0:1]
    return _cat(xp, p[..., 0:1], zero, zero, zero)


simeoni = register(Model(
    name="simeoni",
    title="Simeoni transit-compartment tumour growth inhibition (xenograft)",
    parameters=(Parameter("w0", "size", 0.1, 1e-12, math.inf, "log",
                          "tumour weight/volume at t = 0 (data unit)", _ILL),
                Parameter("lambda0", "1/day", 0.273, 1e-9, math.inf, "log",
                          "exponential growth rate", _SIMEONI),
                Parameter("lambda1", "size/day", 0.814, 1e-12, math.inf, "log",
                          "linear growth rate", _SIMEONI),
                Parameter("k1", "1/day", 0.968, 1e-9, math.inf, "log",
                          "transit rate through the damage compartments (mean 3/k1 to death)",
                          _SIMEONI),
                Parameter("k2", "1/(day ng/mL)", 0.000629, 0.0, math.inf, "log",
                          "drug potency on proliferating cells (exposure = concentration)",
                          _SIMEONI)),
    rhs=_simeoni_rhs, initial_state=_simeoni_init, closed_form=None,
    states=("proliferating", "damaged1", "damaged2", "damaged3"), inputs=("exposure",),
    kind="response",
    equation="W = x1+x2+x3+x4; x1' = lambda0 x1/[1 + (lambda0 W/lambda1)^psi]^(1/psi) - k2 C x1; "
             "x2' = k2 C x1 - k1 x2; x3' = k1 (x2 - x3); x4' = k1 (x3 - x4); psi = 20; "
             "C in ng/mL; size in the data's unit (xenograft weight/volume)",
    reference="Simeoni M et al. 2004 Cancer Res 64:1094; defaults " + _SIMEONI,
))


# ---------------------------------------------------------------- contract hints
def _claret_untreated(p: np.ndarray) -> tuple[np.ndarray, str, np.ndarray]:
    return p, "exponential", p[..., [0, 1]]


def _ns_untreated(p: np.ndarray) -> tuple[np.ndarray, str, np.ndarray]:
    return p, "gompertz", p[..., [0, 1, 2]]


def _twopop_untreated(p: np.ndarray) -> tuple[np.ndarray, str, np.ndarray]:
    # with g_r = g_s the total N = S + R obeys N' = g N (1 - N/K) whatever f_r and mu
    q = p.copy()
    q[..., 3] = q[..., 2]
    return q, "logistic", q[..., [0, 4, 2]]


# 0.765 g/day: FU 425 mg/m2 x BSA 1.8 m2, the schedule of the Claret 2009 exercise
set_check_hints("claret", CheckHints(exposure=0.765, horizon=2 * 365.0, untreated=_claret_untreated))
set_check_hints("claret_ts", CheckHints(horizon=2 * 365.0))
# k E > 1 makes the Gompertz rate negative: the size collapses super-exponentially and
# underflows to 0 in floating point, hence allow_extinction
set_check_hints("norton_simon", CheckHints(exposure=0.5, untreated=_ns_untreated,
                                           allow_extinction=True))
set_check_hints("two_population", CheckHints(exposure=1.0, untreated=_twopop_untreated))
# 500 ng/mL: illustrative concentration giving k2 C ~ 0.3/day, comparable to lambda0
set_check_hints("simeoni", CheckHints(exposure=500.0, horizon=30.0))
set_check_hints("stein_gdphi", CheckHints(ranges={"phi": (0.05, 0.95)}))
