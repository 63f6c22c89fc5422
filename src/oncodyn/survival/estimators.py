"""Survival statistics from a maintained library: statsmodels (Kaplan–Meier, Cox, log-rank).

lifelines is not used: it pins ``pandas<3`` (installing it downgrades pandas 3 to 2.3.3), and
oncodyn runs on pandas 3. statsmodels provides:

* ``statsmodels.duration.survfunc.SurvfuncRight``: Kaplan–Meier with the Greenwood SE, median and
  its confidence interval (Brookmeyer R, Crowley J (1982) Biometrics 38:29; statsmodels'
  default transform is ``"log"``, ``transform="linear"`` matches :func:`oncodyn.survival.median_ci`);
* ``statsmodels.duration.hazard_regression.PHReg``: Cox proportional hazards (Cox DR (1972) J R
  Stat Soc B 34:187), Breslow or Efron ties;
* ``statsmodels.duration.survfunc.survdiff``: the log-rank test (Mantel N (1966) Cancer Chemother
  Rep 50:163).

:mod:`oncodyn.survival.km` (pure NumPy) stays the fast path used inside the simulator's summaries
and the calibration loop; a test proves both give the same curve, SE and median CI.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from .km import check_survival_data as _check


def km_statsmodels(time, event):
    """``SurvfuncRight`` fitted to right-censored data (validated input)."""
    from statsmodels.duration.survfunc import SurvfuncRight

    t, e = _check(time, event)
    return SurvfuncRight(t, e.astype(int))


def median_ci_statsmodels(time, event, level: float = 0.95, transform: str = "linear") -> tuple[float, float, float]:
    """(median, lower, upper) from statsmodels; ``inf`` where not reached."""
    sf = km_statsmodels(time, event)
    med = sf.quantile(0.5)
    lo, hi = sf.quantile_ci(0.5, alpha=1 - level, method=transform)
    return _inf_if_missing(med), _inf_if_missing(lo), _inf_if_missing(hi)


def _inf_if_missing(x) -> float:
    return float("inf") if x is None or not np.isfinite(x) else float(x)


@dataclass(frozen=True)
class CoxFit:
    """Cox model: log hazard ratios, their SEs and Wald CIs (``level``)."""

    params: np.ndarray
    se: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    level: float

    @property
    def hazard_ratio(self) -> np.ndarray:
        return np.exp(self.params)


def cox(time, event, X, *, ties: str = "efron", level: float = 0.95) -> CoxFit:
    """Cox proportional-hazards fit (statsmodels ``PHReg``); ``X`` (n, p) covariates, no intercept."""
    from statistics import NormalDist

    from statsmodels.duration.hazard_regression import PHReg

    t, e = _check(time, event)
    x = np.asarray(X, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.shape[0] != t.size or not np.all(np.isfinite(x)):
        raise DataError(f"X must have one finite row per patient (got {x.shape} for {t.size})")
    res = PHReg(t, x, status=e.astype(int), ties=ties).fit()
    b, se = np.asarray(res.params, float), np.asarray(res.bse, float)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    return CoxFit(b, se, b - z * se, b + z * se, level)


def logrank(time, event, group) -> tuple[float, float]:
    """Log-rank test (statsmodels ``survdiff``): (chi-square statistic, p-value)."""
    from statsmodels.duration.survfunc import survdiff

    t, e = _check(time, event)
    chi2, p = survdiff(t, e.astype(int), np.asarray(group))
    return float(chi2), float(p)
