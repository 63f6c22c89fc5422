"""Two-arm comparisons: ORR difference, Cox hazard ratios and log-rank tests (statsmodels).

* ORR difference (experimental - control) with the Newcombe hybrid-score interval (Newcombe RG
  (1998) Stat Med 17:873, method 10; ``statsmodels.stats.proportion.confint_proportions_2indep``,
  ``method="newcomb"``) and the score test's two-sided p (Miettinen O, Nurminen M (1985) Stat Med
  4:213; ``test_proportions_2indep``, ``method="score"``). With no responder, or only
  responders, in both arms the difference is 0 and p is 1 (no evidence of a difference; the
  score statistic is 0/0 there).
* Hazard ratio (experimental vs control) from a Cox proportional-hazards model with the arm as
  only covariate (Cox DR (1972) J R Stat Soc B 34:187; ``statsmodels PHReg``, Efron's method for
  ties, Efron B (1977) JASA 72:557), Wald interval exp(beta +- z se).
* Log-rank test (Mantel N (1966) Cancer Chemother Rep 50:163; ``statsmodels survdiff``),
  two-sided p.

Cox and log-rank are :func:`oncodyn.survival.cox` and :func:`oncodyn.survival.logrank` (one
implementation of each for the whole package).

"Success" of a trial on an endpoint: significant at two-sided level alpha in favour of the
experimental arm (HR: log-rank p < alpha and HR < 1; ORR: the Newcombe interval at level
1 - alpha lies above 0, so that success always agrees with the reported interval; the score p
is reported too, and near the boundary the two methods can differ). Power / probability of
success is the fraction of simulated trials that succeed on the primary endpoint (a Monte-Carlo
estimate, given with its Wilson interval). Research software: the trials are virtual.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

ORR_CODES = ("CR", "PR")


@dataclass(frozen=True)
class ArmData:
    """Per-patient endpoints of one arm (arrays of equal length).

    ``responder``: confirmed CR or PR; ``pfs_days``/``pfs_event`` and ``os_days``/``os_event``
    (None when the simulator gave no overall survival).
    """

    responder: np.ndarray
    pfs_days: np.ndarray
    pfs_event: np.ndarray
    os_days: np.ndarray | None = None
    os_event: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.responder.size)


def orr_difference(ctrl: ArmData, exp: ArmData, alpha: float = 0.05) -> dict[str, float]:
    """ORR per arm, difference (experimental - control), Newcombe CI and score-test p."""
    from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

    k_e, n_e = int(exp.responder.sum()), exp.n
    k_c, n_c = int(ctrl.responder.sum()), ctrl.n
    lo, hi = confint_proportions_2indep(k_e, n_e, k_c, n_c, method="newcomb", compare="diff",
                                        alpha=alpha)
    degenerate = (k_e == 0 and k_c == 0) or (k_e == n_e and k_c == n_c)
    if degenerate:
        p = 1.0
    else:
        with warnings.catch_warnings():  # statsmodels also computes ratios we do not use
            warnings.simplefilter("ignore", RuntimeWarning)
            p = float(test_proportions_2indep(k_e, n_e, k_c, n_c, method="score",
                                              compare="diff").pvalue)
    return {"orr_control": k_c / n_c, "orr_experimental": k_e / n_e,
            "estimate": k_e / n_e - k_c / n_c, "ci_low": float(lo), "ci_high": float(hi),
            "p": p}


def hazard_ratio(t_c: np.ndarray, e_c: np.ndarray, t_e: np.ndarray, e_e: np.ndarray,
                 alpha: float = 0.05) -> dict[str, float]:
    """Cox HR (experimental vs control) with Wald CI, and the log-rank two-sided p.

    NaN HR and CI (p 1.0) when either arm has no event: the partial likelihood then has no
    finite maximum.
    """
    from ..survival.estimators import cox, logrank

    time = np.concatenate([t_c, t_e]).astype(float)
    event = np.concatenate([e_c, e_e]).astype(bool)
    arm = np.concatenate([np.zeros(t_c.size), np.ones(t_e.size)])
    out = {"events_control": int(np.sum(e_c)), "events_experimental": int(np.sum(e_e))}
    if out["events_control"] == 0 or out["events_experimental"] == 0:
        return {**out, "estimate": float("nan"), "ci_low": float("nan"),
                "ci_high": float("nan"), "p": 1.0}
    fit = cox(time, event, arm[:, None], ties="efron", level=1 - alpha)
    _, p = logrank(time, event, arm)
    return {**out, "estimate": float(fit.hazard_ratio[0]), "ci_low": float(np.exp(fit.lower[0])),
            "ci_high": float(np.exp(fit.upper[0])), "p": p}


def compare_arms(ctrl: ArmData, exp: ArmData, endpoints: tuple[str, ...] | list[str],
                 alpha: float = 0.05) -> dict[str, dict[str, float]]:
    """{endpoint: figures} for ``orr``, ``pfs``, ``os`` (see the module docstring); each with
    ``success`` (1.0 / 0.0) and ``reject`` (significant at level alpha, either direction)."""
    from ..errors import ConfigError

    res: dict[str, dict[str, float]] = {}
    for ep in endpoints:
        if ep == "orr":
            r = orr_difference(ctrl, exp, alpha)
            r["reject"] = float(r["ci_low"] > 0 or r["ci_high"] < 0)
            r["success"] = float(r["ci_low"] > 0)
            res[ep] = r
            continue
        if ep == "pfs":
            r = hazard_ratio(ctrl.pfs_days, ctrl.pfs_event, exp.pfs_days, exp.pfs_event, alpha)
            better = r["estimate"] < 1
        elif ep == "os":
            if ctrl.os_days is None or exp.os_days is None:
                raise ConfigError("endpoint 'os' needs overall survival from the simulator "
                                  "(scenario [survival]); remove 'os' from endpoints")
            r = hazard_ratio(ctrl.os_days, ctrl.os_event, exp.os_days, exp.os_event, alpha)
            better = r["estimate"] < 1
        else:
            raise ConfigError(f"endpoint {ep!r} not allowed; allowed: orr, pfs, os")
        r["reject"] = float(r["p"] < alpha)
        r["success"] = float(r["p"] < alpha and bool(better))
        res[ep] = r
    return res
