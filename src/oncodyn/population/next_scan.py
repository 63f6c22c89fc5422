"""One patient's next scan, forecast from a population model of the cohort's sums of diameters.

Used by ``oncodyn report`` and the web app's *Patient* page. The cohort's per-patient sums of
target diameters (RECIST time points, baseline at day 0) are fitted with a population model
(:func:`oncodyn.population.fit_population`, Stein–Fojo by default: Stein WD et al. (2011) Clin
Cancer Res 17:907, with log-normal random effects and a proportional residual error; sums below
5 mm left-censored, :data:`oncodyn.population.TOO_SMALL_MM`); the
patient's own scans then condition the population (posterior draws of the patient's parameters,
:meth:`PopulationFit.posterior`), and the posterior predictive distribution of the next reading
(model curve plus residual error) gives the point forecast (median), the 80 % and 95 % intervals
and the probability that the next sum meets the RECIST 1.1 size rule for progression
(:func:`oncodyn.inference.scores.pd_threshold`: ≥ 1.2 × nadir and ≥ nadir + 5 mm).

The intervals are the model's: a population fit on a few dozen patients is uncertain, and the
``oncodyn bench forecast`` figures say how well such intervals hold their coverage on real series.
Research and teaching software, not a clinical decision tool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DataError
from ._error import TOO_SMALL_MM

MIN_SERIES = 10
"""Fewest patients with two or more sums needed to fit the population model."""
DEFAULT_GAP_DAYS = 42.0
"""Next-scan delay when a patient has a single follow-up gap to learn from: 6 weeks, the usual
RECIST imaging interval in trials (Eisenhauer et al. 2009, section 3.3)."""


@dataclass(frozen=True)
class NextScanForecast:
    """The model's expectation for one patient's next scan (sum of target diameters, mm).

    Times are days since the patient's baseline scan. ``model``: the model's name,
    ``n_cohort``: patients of the population fit, ``n_scans``: the patient's sums used.
    ``curve_*``: the predictive median and the
    80 % band on a grid from day 0 to the next scan (for figures).
    """

    t_next: float
    point: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float
    p_pd: float
    model: str
    n_cohort: int
    n_scans: int
    curve_t: tuple[float, ...] = ()
    curve_mid: tuple[float, ...] = ()
    curve_lo: tuple[float, ...] = ()
    curve_hi: tuple[float, ...] = ()


def sums_batch(ids: Sequence[Any], days: Sequence[Any], sums: Sequence[Any]) -> Any:
    """A :class:`oncodyn.inference.SeriesBatch` of the series with at least two finite sums."""
    from ..inference import SeriesBatch

    keep_ids, keep_t, keep_y = [], [], []
    for i, t, y in zip(ids, days, sums, strict=True):
        t, y = np.asarray(t, float), np.asarray(y, float)
        ok = np.isfinite(t) & np.isfinite(y) & (y >= 0)
        if ok.sum() >= 2:
            keep_ids.append(i)
            keep_t.append(t[ok])
            keep_y.append(y[ok])
    return SeriesBatch.from_lists(keep_ids, keep_t, keep_y)


def cohort_population(ids: Sequence[Any], days: Sequence[Any], sums: Sequence[Any], *,
                      model: str = "stein_gd", seed: int = 0, progress: Any = None) -> Any:
    """Fit the population model to a cohort's sums of diameters (see the module docstring).

    ``progress``: None or ``progress(done, total)``, called during the fit (SAEM iterations).
    Raises :class:`DataError` when fewer than :data:`MIN_SERIES` patients have two sums or more.
    """
    from . import fit_population

    batch = sums_batch(ids, days, sums)
    if len(batch) < MIN_SERIES:
        raise DataError(f"the population model needs at least {MIN_SERIES} patients with two or "
                        f"more sums of target diameters; these data have {len(batch)}")
    return fit_population(model, batch, error="proportional", lloq=TOO_SMALL_MM, seed=seed,
                          progress=progress)


def next_scan(population: Any, days: Any, sums: Any, *, gap_days: float | None = None,
              n_draws: int = 1000, seed: int = 0) -> NextScanForecast:
    """Posterior predictive of one patient's next sum of diameters given its scans.

    ``days``/``sums``: the patient's scans (baseline first, day 0). ``gap_days``: delay after the
    last scan (default: the patient's median interval between scans, else
    :data:`DEFAULT_GAP_DAYS`).
    """
    from ..inference.scores import pd_threshold

    batch = sums_batch(["patient"], [days], [sums])
    if len(batch) == 0:
        raise DataError("a forecast needs at least two scans with a sum of target diameters")
    t = batch.t[0, : batch.n[0]]
    y = batch.y[0, : batch.n[0]]
    if gap_days is None:
        gaps = np.diff(t)
        gap_days = float(np.median(gaps)) if gaps.size >= 2 else DEFAULT_GAP_DAYS
    t_next = float(t[-1] + gap_days)
    post = population.posterior(batch, n_draws=n_draws, seed=seed)
    grid = np.linspace(0.0, t_next, 40)
    times = np.concatenate([grid, [t_next]])
    draws = post.predict(times, noise=True, seed=seed)[0]  # (n_draws, T)
    nxt = draws[:, -1]
    q = np.quantile(nxt, [0.025, 0.1, 0.5, 0.9, 0.975])
    band = np.quantile(draws[:, :-1], [0.1, 0.5, 0.9], axis=0)
    p_pd = float(np.mean(nxt >= pd_threshold(np.min(y))))
    return NextScanForecast(
        t_next=t_next, point=float(q[2]), lo80=float(q[1]), hi80=float(q[3]), lo95=float(q[0]),
        hi95=float(q[4]), p_pd=p_pd, model=population.model.name,
        n_cohort=int(population.n_series), n_scans=int(batch.n[0]),
        curve_t=tuple(grid), curve_mid=tuple(band[1]), curve_lo=tuple(band[0]),
        curve_hi=tuple(band[2]))
