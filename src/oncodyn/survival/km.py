"""Kaplan–Meier estimator with Greenwood variance and the Brookmeyer–Crowley median CI.

Kaplan EL, Meier P (1958) J Am Stat Assoc 53:457 (product-limit estimator);
Greenwood M (1926) Rep Public Health Med Subj 33 (variance);
Brookmeyer R, Crowley J (1982) Biometrics 38:29 ("A confidence interval for the median
survival time"): the CI is the set of times t whose pointwise test of S(t) = 0.5 is not
rejected, i.e. |S(t) - 0.5| <= z * se(S(t)) with the Greenwood standard error on the plain
(linear) scale. In practice: lower = first time where the lower pointwise band S - z se
reaches 0.5, upper = first time where the upper band S + z se reaches 0.5 (the same rule as
R ``survfit`` with ``conf.type = "plain"``).

Pure NumPy; times in any unit (days by the house convention).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from ..errors import DataError


@dataclass(frozen=True)
class KaplanMeier:
    """Product-limit estimate at the distinct event times.

    Attributes
    ----------
    time : distinct times with at least one event (ascending)
    survival : S(t) just after each time
    se : Greenwood standard error of S(t)
    n_risk, n_event : numbers at risk and events at each time
    """

    time: np.ndarray
    survival: np.ndarray
    se: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray

    def at(self, t: float | np.ndarray) -> np.ndarray:
        """S(t) (right-continuous step function; 1 before the first event)."""
        idx = np.searchsorted(self.time, np.asarray(t, dtype=float), side="right") - 1
        s = np.concatenate([[1.0], self.survival])
        return s[idx + 1]


@dataclass(frozen=True)
class MedianCI:
    """Median survival with its Brookmeyer–Crowley confidence interval (``inf`` = not reached)."""

    median: float
    lower: float
    upper: float
    level: float


def check_survival_data(time: Any, event: Any) -> tuple[np.ndarray, np.ndarray]:
    """(times as float, events as bool) of right-censored data; :class:`DataError` naming the
    first bad row when lengths differ or a time is negative or not finite."""
    t = np.asarray(time, dtype=float)
    e = np.asarray(event).astype(bool)
    if t.shape != e.shape or t.ndim != 1:
        raise DataError(f"time and event must be 1-D of equal length (got {t.shape}, {e.shape})")
    bad = ~np.isfinite(t) | (t < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"time must be finite and >= 0 (got {t[i]!r})", row=i, column="time")
    return t, e


def kaplan_meier(time: np.ndarray, event: np.ndarray) -> KaplanMeier:
    """Kaplan–Meier estimate.

    Parameters
    ----------
    time : (n,) non-negative follow-up times
    event : (n,) 1/True = event, 0/False = censored

    Raises
    ------
    DataError
        if lengths differ or a time is negative or not finite.
    """
    t, e = check_survival_data(time, event)
    order = np.argsort(t, kind="stable")
    t, e = t[order], e[order]
    uniq, first = np.unique(t, return_index=True)
    n = t.size
    n_risk_all = n - first
    d_all = np.add.reduceat(e.astype(np.int64), first) if n else np.zeros(0, dtype=np.int64)
    keep = d_all > 0
    times, n_risk, d = uniq[keep], n_risk_all[keep], d_all[keep]
    frac = 1.0 - d / n_risk
    surv = np.cumprod(frac)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(n_risk > d, d / (n_risk * (n_risk - d)), np.inf)
    with np.errstate(invalid="ignore"):
        var = surv**2 * np.cumsum(terms)
    se = np.sqrt(np.where(np.isfinite(var), var, 0.0))  # S = 0 after the last death: se 0
    return KaplanMeier(times, surv, se, n_risk, d)


def median_ci(time: np.ndarray, event: np.ndarray, level: float = 0.95) -> MedianCI:
    """Median survival and its Brookmeyer–Crowley CI (plain Greenwood scale).

    The median is the first time with S(t) <= 0.5. Bounds that are not reached are ``inf``.
    """
    km = kaplan_meier(time, event)
    z = NormalDist().inv_cdf(0.5 + level / 2)

    def first(mask: np.ndarray) -> float:
        idx = np.flatnonzero(mask)
        return float(km.time[idx[0]]) if idx.size else float("inf")

    med = first(km.survival <= 0.5)
    lo = first(km.survival - z * km.se <= 0.5)
    hi = first(km.survival + z * km.se <= 0.5)
    return MedianCI(med, lo, hi, level)
