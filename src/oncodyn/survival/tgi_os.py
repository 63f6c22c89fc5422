"""Tumour-dynamics -> overall-survival link: time to death from a time-varying hazard (pure NumPy).

Model (:class:`oncodyn.patients.config.SurvivalCfg`, ``model = "weibull_burden"``)::

    h(t) = (k / s) (t / s)^(k - 1) exp(eta_0 + g ln((B(t) + c) / (B(0) + c))) + h_other
    eta_0 = b_sites (sites - sites_ref) + b_sld ln(SLD0 / sld_ref) + ln HR_cov

a Weibull proportional-hazards model (the default survival sub-model of Genentech's jmpost joint
models) with the current tumour burden B(t) as a time-varying covariate (jmpost's identity link;
Desmee S et al. (2017) BMC Med Res Methodol 17:105) and baseline prognostic factors (metastatic
sites: Claret L et al. (2018) Clin Cancer Res 24:3292, the POPLAR OS model; baseline tumour size
and ECOG: Claret L et al. (2009) J Clin Oncol 27:4103, Wang Y et al. (2009) Clin Pharmacol Ther
86:167).

Simulation by inversion of the cumulative hazard: each patient draws a unit-exponential threshold
E and dies when H(t) = E. The simulator advances H step by step with B held at its value one
step earlier (piecewise-constant covariate), the Weibull part integrated exactly over the step:

    dH = exp(eta(t)) ((t + dt)^k - t^k) / s^k + h_other dt

and the death day inside a step is found by linear interpolation of H within the step.
"""

from __future__ import annotations

import numpy as np

from ..patients.config import SurvivalCfg


def weibull_cumulative_hazard(t: np.ndarray | float, scale: float, shape: float) -> np.ndarray:
    """H0(t) = (t / scale)^shape (Weibull cumulative hazard, t in days)."""
    return (np.asarray(t, dtype=float) / scale) ** shape


def baseline_log_hazard(cfg: SurvivalCfg, sites: np.ndarray, sld0_mm: np.ndarray,
                        covariate_hr: np.ndarray) -> np.ndarray:
    """eta_0 of each patient: metastatic sites, baseline SLD and categorical hazard ratios."""
    sld = np.maximum(np.asarray(sld0_mm, dtype=float), 1e-3)
    return (cfg.sites_log_hr * (np.asarray(sites, dtype=float) - cfg.sites_ref)
            + cfg.sld_log_hr * np.log(sld / cfg.sld_ref_mm) + np.log(covariate_hr))


def burden_log_hazard(cfg: SurvivalCfg, burden_mm: np.ndarray, burden0_mm: np.ndarray) -> np.ndarray:
    """g ln((B(t) + c) / (B(0) + c)): the time-varying tumour term (0 at baseline)."""
    c = cfg.burden_offset_mm
    return cfg.burden_log_hr * np.log((burden_mm + c) / (burden0_mm + c))


def hazard_step(cfg: SurvivalCfg, t: float, dt: float, log_hazard: np.ndarray,
                other_per_day: float) -> np.ndarray:
    """Cumulative hazard accrued over [t, t + dt) with eta held at ``log_hazard``."""
    w = (weibull_cumulative_hazard(t + dt, cfg.scale_days, cfg.shape)
         - weibull_cumulative_hazard(t, cfg.scale_days, cfg.shape))
    return np.exp(log_hazard) * w + other_per_day * dt


def deaths_in_step(cum_hazard: np.ndarray, threshold: np.ndarray, d_hazard: np.ndarray,
                   t: float, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Patients whose cumulative hazard crosses their threshold in [t, t + dt), and the day.

    Returns ``(died, day)``: boolean mask and the crossing day (linear in H within the step;
    ``inf`` where no death). Patients already past their threshold are not counted again.
    """
    new = cum_hazard + d_hazard
    died = (new >= threshold) & (cum_hazard < threshold)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(died, (threshold - cum_hazard) / np.where(d_hazard > 0, d_hazard, 1.0), np.inf)
    return died, np.where(died, t + dt * np.clip(frac, 0.0, 1.0), np.inf)
