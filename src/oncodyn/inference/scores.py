"""Scores of probabilistic forecasts and the RECIST size rule for progression as a threshold.

* Interval score of a central (1 - alpha) interval [l, u] for an observation y (Gneiting &
  Raftery 2007, J Am Stat Assoc 102:359, eq. 43): S = (u - l) + (2/alpha)(l - y) 1{y < l}
  + (2/alpha)(y - u) 1{y > u}; lower is better, and it is proper: its expectation is smallest
  for the true quantiles.
* Brier score of a probability p for a binary event e (Brier 1950, Mon Weather Rev 78:1):
  mean (p - e)^2; the base-rate forecast p = mean(e) scores mean(e)(1 - mean(e)).
* RECIST 1.1 progression by size (Eisenhauer et al. 2009, Eur J Cancer 45:228, §4.3.1): the sum
  of diameters is at least 20% above the smallest sum so far (nadir) AND at least 5 mm above it.
  As a threshold on the next sum: S >= max(1.2 N, N + 5 mm). The exact-arithmetic rule of the
  RECIST engine is :func:`oncodyn.recist.timepoint.pd_by_sum`; a test proves both agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np

PD_RELATIVE = 1.2
"""RECIST 1.1 PD: sum >= 1.2 x nadir (Eisenhauer et al. 2009 §4.3.1)."""
PD_ABSOLUTE_MM = 5.0
"""RECIST 1.1 PD: sum >= nadir + 5 mm (Eisenhauer et al. 2009 §4.3.1)."""


def pd_threshold(nadir_mm: Any) -> np.ndarray:
    """Smallest sum of diameters (mm) that meets the RECIST size rule for PD given the nadir."""
    n = np.asarray(nadir_mm, float)
    return np.maximum(PD_RELATIVE * n, n + PD_ABSOLUTE_MM)


def interval_score(lower: Any, upper: Any, y: Any, alpha: float) -> np.ndarray:
    """Interval score (Gneiting & Raftery 2007 eq. 43) element-wise; NaN where any is NaN."""
    lo, hi, y = (np.asarray(a, float) for a in (lower, upper, y))
    with np.errstate(invalid="ignore"):
        return ((hi - lo) + (2.0 / alpha) * np.maximum(lo - y, 0.0)
                + (2.0 / alpha) * np.maximum(y - hi, 0.0))


def covered(lower: Any, upper: Any, y: Any) -> np.ndarray:
    """1.0 where lower <= y <= upper, 0.0 outside, NaN where any is NaN."""
    lo, hi, y = (np.asarray(a, float) for a in (lower, upper, y))
    ok = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(y)
    with np.errstate(invalid="ignore"):
        return np.where(ok, ((lo <= y) & (y <= hi)).astype(float), np.nan)


def brier(p: Any, event: Any) -> float:
    """Mean Brier score over the pairs where both are finite."""
    p, e = np.asarray(p, float), np.asarray(event, float)
    ok = np.isfinite(p) & np.isfinite(e)
    return float(np.mean((p[ok] - e[ok]) ** 2)) if ok.any() else float("nan")
