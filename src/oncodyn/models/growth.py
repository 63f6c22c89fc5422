"""Untreated tumour growth laws, with closed forms and ODE right-hand sides.

Parameterisation follows TumorGrowth.jl (Blaom AD, Okon S, 2025, arXiv:2502.07964; source
``src/models/bertalanffy.jl``) so fitted values compare one-to-one: every sigmoid law is a special
case of the generalised Bertalanffy (GB) curve

    V(t) = v_inf * [1 + ((v0/v_inf)^lam - 1) * exp(-omega t)]^(1/lam)
    dV/dt = (omega/lam) * V * ((V/v_inf)^(-lam) - 1)

with lam = 0 Gompertz, lam = -1 logistic, lam = 1/3 classical Bertalanffy. The laws and their use
on tumour data are reviewed in Benzekry S et al. (2014) "Classical mathematical models for
description and prediction of experimental tumor growth", PLOS Comput Biol 10(8):e1003800,
Table 1; Laleh NG et al. (2022) PLOS Comput Biol 18(2):e1009822 fit them to the clinical lesion
series used in oncodyn's benchmarks.

Units: time in days (any unit works if rates are read per that unit); size in the data's unit
(mm, mm^3 or normalised volume). Default values are **illustrative** unless a source is given:
the default growth rate 0.0084 /day is ln 2 / 83 days, the median doubling time of pulmonary
metastases of adenocarcinoma quoted by Tubiana M (1989) Acta Oncol 28:113.
"""

from __future__ import annotations

import math
from typing import Any

from ._spec import Model, Parameter, register

_TUBIANA = "ln2/83 d: Tubiana 1989 Acta Oncol 28:113 (adenocarcinoma lung metastases doubling time)"
_ILL = "illustrative"

V0 = Parameter("v0", "size", 1.0, 1e-12, math.inf, "log", "size at t = 0", _ILL)
VINF = Parameter("v_inf", "size", 2.0, 1e-12, math.inf, "log",
                 "carrying capacity (size approached as t -> inf)", _ILL)
OMEGA = Parameter("omega", "1/day", 0.0084, 1e-9, math.inf, "log",
                  "rate of approach to v_inf", _TUBIANA)


def _first(p: Any, i: int) -> Any:
    return p[..., i, None]


def _gb_closed(t: Any, v0: Any, vinf: Any, omega: Any, lam: Any, xp: Any) -> Any:
    """GB closed form, stable as lam -> 0 (uses expm1/log1p)."""
    log_ratio = xp.log(v0 / vinf)
    decay = xp.exp(-omega * t)
    if isinstance(lam, float):  # fixed-shape laws: one branch only
        if abs(lam) < 1e-7:
            return vinf * xp.exp(log_ratio * decay)
        return vinf * xp.exp(xp.log1p(xp.expm1(lam * log_ratio) * decay) / lam)
    small = xp.abs(lam) < 1e-7
    lam_safe = xp.where(small, 1.0, lam)
    general = xp.log1p(xp.expm1(lam_safe * log_ratio) * decay) / lam_safe
    gompertz = log_ratio * decay
    return vinf * xp.exp(xp.where(small, gompertz, general))


def _gb_jac(t: Any, v0: Any, vinf: Any, omega: Any, lam: Any, xp: Any) -> Any:
    """Derivatives of the GB closed form w.r.t. (v0, v_inf, omega, lam), stacked on a last axis.

    With L = ln(v0/v_inf), a = exp(-omega t), m = expm1(lam L), q = 1 + m a and E = ln(q)/lam:
    dE/dL = exp(lam L) a / q, dE/domega = -t m a / (lam q),
    dE/dlam = -ln(q)/lam^2 + L exp(lam L) a / (lam q); lam -> 0 limits: a, -t L a, a L^2 (1-a)/2.
    A Python-float ``lam`` (a fixed-shape law) returns only the first three columns.
    """
    L = xp.log(v0 / vinf)
    a = xp.exp(-omega * t)
    if isinstance(lam, float):  # fixed-shape laws: one branch, no d/dlam column needed
        if abs(lam) < 1e-7:
            V = vinf * xp.exp(L * a)
            dE_dL, dE_dw = a, -t * L * a
        else:
            m = xp.expm1(lam * L)
            q = 1.0 + m * a
            V = vinf * xp.exp(xp.log1p(m * a) / lam)
            dE_dL = xp.exp(lam * L) * a / q
            dE_dw = -t * m * a / (lam * q)
        return xp.stack([V * dE_dL / v0, V / vinf * (1.0 - dE_dL), V * dE_dw], axis=-1)
    small = xp.abs(lam) < 1e-7
    lam_s = xp.where(small, 1.0, lam)
    m = xp.expm1(lam_s * L)
    q = 1.0 + m * a
    e_l = xp.exp(lam_s * L)
    logq = xp.log1p(m * a)
    E = xp.where(small, L * a, logq / lam_s)
    V = vinf * xp.exp(E)
    dE_dL = xp.where(small, a, e_l * a / q)
    dE_dw = xp.where(small, -t * L * a, -t * m * a / (lam_s * q))
    dE_dlam = xp.where(small, 0.5 * a * L * L * (1.0 - a),
                       -logq / lam_s**2 + L * e_l * a / (lam_s * q))
    return xp.stack([V * dE_dL / v0, V / vinf * (1.0 - dE_dL), V * dE_dw, V * dE_dlam], axis=-1)


def _gb_rhs(y: Any, vinf: Any, omega: Any, lam: Any, xp: Any) -> Any:
    log_ratio = xp.log(xp.maximum(y, 1e-300) / vinf)
    small = xp.abs(lam) < 1e-7
    lam_safe = xp.where(small, 1.0, lam)
    general = xp.expm1(-lam_safe * log_ratio) / lam_safe
    return omega * y * xp.where(small, -log_ratio, general)


def _init_v0(p: Any, xp: Any) -> Any:
    return p[..., 0:1]


# ---------------------------------------------------------------- exponential
def _exp_closed(t: Any, p: Any, u: Any, xp: Any) -> Any:
    return _first(p, 0) * xp.exp(_first(p, 1) * t)


def _exp_jac(t: Any, p: Any, u: Any, xp: Any) -> Any:
    e = xp.exp(_first(p, 1) * t)
    return xp.stack([e, _first(p, 0) * t * e], axis=-1)


def _exp_rhs(t: Any, y: Any, p: Any, u: Any, xp: Any) -> Any:
    return p[..., 1:2] * y


exponential = register(Model(
    name="exponential",
    title="Exponential growth",
    parameters=(V0, Parameter("omega", "1/day", 0.0084, -1.0, 1.0, "identity",
                              "net growth rate (negative = shrinkage)", _TUBIANA)),
    rhs=_exp_rhs, initial_state=_init_v0, closed_form=_exp_closed, jacobian=_exp_jac,
    equation="dV/dt = omega V;  V(t) = v0 exp(omega t)",
    reference="Benzekry 2014 PLOS Comput Biol 10:e1003800 Table 1; TumorGrowth.jl `exponential`",
))


# ---------------------------------------------------------------- GB family
def _fixed_lambda_model(name: str, title: str, lam: float, source: str) -> Model:
    def closed(t: Any, p: Any, u: Any, xp: Any) -> Any:
        return _gb_closed(t, _first(p, 0), _first(p, 1), _first(p, 2), lam, xp)

    def rhs(t: Any, y: Any, p: Any, u: Any, xp: Any) -> Any:
        return _gb_rhs(y, p[..., 1:2], p[..., 2:3], lam, xp)

    def jac(t: Any, p: Any, u: Any, xp: Any) -> Any:
        return _gb_jac(t, _first(p, 0), _first(p, 1), _first(p, 2), lam, xp)

    return register(Model(
        name=name, title=title, parameters=(V0, VINF, OMEGA), rhs=rhs,
        initial_state=_init_v0, closed_form=closed, jacobian=jac,
        equation=f"generalised Bertalanffy with lam = {lam:g}: "
                 "V = v_inf [1 + ((v0/v_inf)^lam - 1) e^(-omega t)]^(1/lam)",
        reference=source,
    ))


logistic = _fixed_lambda_model(
    "logistic", "Logistic (Verhulst) growth", -1.0,
    "Verhulst 1838; Benzekry 2014 Table 1; TumorGrowth.jl `logistic` (GB, lam = -1). "
    "dV/dt = omega V (1 - V/v_inf)")
gompertz = _fixed_lambda_model(
    "gompertz", "Gompertz growth", 0.0,
    "Gompertz 1825; Laird 1964 Br J Cancer 18:490; Benzekry 2014 Table 1; TumorGrowth.jl "
    "`gompertz` (GB, lam = 0). dV/dt = omega V ln(v_inf/V)")
classical_bertalanffy = _fixed_lambda_model(
    "classical_bertalanffy", "Classical von Bertalanffy growth", 1.0 / 3.0,
    "von Bertalanffy 1957 Q Rev Biol 32:217; Benzekry 2014 Table 1; TumorGrowth.jl "
    "`classical_bertalanffy` (GB, lam = 1/3). dV/dt = a V^(2/3) - b V")


def _gb_closed_p(t: Any, p: Any, u: Any, xp: Any) -> Any:
    return _gb_closed(t, _first(p, 0), _first(p, 1), _first(p, 2), _first(p, 3), xp)


def _gb_jac_p(t: Any, p: Any, u: Any, xp: Any) -> Any:
    return _gb_jac(t, _first(p, 0), _first(p, 1), _first(p, 2), _first(p, 3), xp)


def _gb_rhs_p(t: Any, y: Any, p: Any, u: Any, xp: Any) -> Any:
    return _gb_rhs(y, p[..., 1:2], p[..., 2:3], p[..., 3:4], xp)


bertalanffy = register(Model(
    name="bertalanffy",
    title="Generalised Bertalanffy growth",
    parameters=(V0, VINF, OMEGA,
                Parameter("lam", "1", 1.0 / 3.0, -3.0, 3.0, "identity",
                          "shape exponent (0 Gompertz, -1 logistic, 1/3 classical Bertalanffy)",
                          "1/3: classical Bertalanffy (von Bertalanffy 1957)")),
    rhs=_gb_rhs_p, initial_state=_init_v0, closed_form=_gb_closed_p, jacobian=_gb_jac_p,
    equation="dV/dt = (omega/lam) V ((V/v_inf)^(-lam) - 1); "
             "V = v_inf [1 + ((v0/v_inf)^lam - 1) e^(-omega t)]^(1/lam)",
    reference="TumorGrowth.jl `bertalanffy` (Blaom & Okon 2025 arXiv:2502.07964); "
              "Benzekry 2014 Table 1 (generalised form a V^gamma - b V)",
))


# ---------------------------------------------------------------- exponential-linear
def _explin_closed(t: Any, p: Any, u: Any, xp: Any) -> Any:
    v0, l0, l1 = _first(p, 0), _first(p, 1), _first(p, 2)
    vstar = l1 / l0
    below = v0 < vstar
    tau = xp.where(below, xp.log(xp.where(below, vstar / v0, 1.0)) / l0, 0.0)
    exp_part = v0 * xp.exp(l0 * xp.minimum(t, tau))
    lin_start = xp.where(below, vstar, v0)
    lin_part = lin_start + l1 * xp.maximum(t - tau, 0.0)
    return xp.where(t < tau, exp_part, lin_part)


def _explin_rhs(t: Any, y: Any, p: Any, u: Any, xp: Any) -> Any:
    l0, l1 = p[..., 1:2], p[..., 2:3]
    return xp.where(y < l1 / l0, l0 * y, l1)


exponential_linear = register(Model(
    name="exponential_linear",
    title="Exponential-linear growth",
    parameters=(V0,
                Parameter("lambda0", "1/day", 0.0084, 1e-9, math.inf, "log",
                          "exponential-phase growth rate", _TUBIANA),
                Parameter("lambda1", "size/day", 0.05, 1e-12, math.inf, "log",
                          "linear-phase growth speed", _ILL)),
    rhs=_explin_rhs, initial_state=_init_v0, closed_form=_explin_closed,
    equation="dV/dt = lambda0 V if V < lambda1/lambda0 else lambda1",
    reference="Simeoni M et al. 2004 Cancer Res 64:1094 (psi -> inf switch); "
              "Benzekry 2014 Table 1 (exponential-linear)",
))


# ---------------------------------------------------------------- power law
def _power_closed(t: Any, p: Any, u: Any, xp: Any) -> Any:
    v0, a, g = _first(p, 0), _first(p, 1), _first(p, 2)
    one_m = 1.0 - g
    return (v0 ** one_m + one_m * a * t) ** (1.0 / one_m)


def _power_rhs(t: Any, y: Any, p: Any, u: Any, xp: Any) -> Any:
    return p[..., 1:2] * xp.maximum(y, 0.0) ** p[..., 2:3]


power_law = register(Model(
    name="power_law",
    title="Power-law growth",
    parameters=(V0,
                Parameter("a", "size^(1-gamma)/day", 0.01, 1e-12, math.inf, "log",
                          "growth coefficient", _ILL),
                Parameter("gamma", "1", 2.0 / 3.0, 0.0, 0.999, "logit",
                          "exponent (2/3: growth proportional to surface)",
                          "2/3 surface growth; Benzekry 2014 found gamma ~ 0.7 on LLC data")),
    rhs=_power_rhs, initial_state=_init_v0, closed_form=_power_closed,
    equation="dV/dt = a V^gamma;  V = (v0^(1-gamma) + (1-gamma) a t)^(1/(1-gamma))",
    reference="Benzekry 2014 PLOS Comput Biol 10:e1003800 Table 1 (power law)",
))

CLASSICAL_LAWS: tuple[str, ...] = (
    "exponential", "logistic", "gompertz", "classical_bertalanffy", "bertalanffy")
"""The five laws of the TumorGrowth.jl model battle, in its order."""
