"""Exits from study in the simulator: death (survival model) and withdrawal (split from :mod:`.engine`).

* Withdrawal before the first follow-up scan with probability ``early_exit_prob`` on a uniform day
  (illustrative/calibrated): NE, PFS and OS censored at that day.
* Death: with ``survival.model = "none"`` a constant hazard ``death_hazard_per_day`` (an
  exponential day drawn at baseline, the earlier model); otherwise the tumour-driven hazard of
  :mod:`oncodyn.survival.tgi_os` advanced step by step (:meth:`Exits.step`), with a
  unit-exponential threshold per patient drawn from a stream spawned from the chunk's generator,
  so that the tumour draws do not depend on the survival model.
"""

from __future__ import annotations

import numpy as np

from ..patients.cohort import Cohort
from ..patients.config import Scenario
from ..survival.tgi_os import baseline_log_hazard, burden_log_hazard, deaths_in_step, hazard_step


class Exits:
    """Death and withdrawal days of one chunk (``inf`` = none within the horizon), updated in place."""

    def __init__(self, sc: Scenario, coh: Cohort, rng: np.random.Generator, sdays: np.ndarray,
                 burden0: np.ndarray) -> None:
        n, H = coh.n, sc.horizon_days
        self.cfg, self.horizon, self.other = sc.survival, H, sc.death_hazard_per_day
        self.tumour_driven = self.cfg.model != "none"
        self.death_day = np.full(n, np.inf)
        if not self.tumour_driven and self.other > 0:
            self.death_day = rng.exponential(1.0 / self.other, size=n)
        self.withdraw_day = np.full(n, np.inf)
        if sc.early_exit_prob > 0 and sdays.size > 1:
            ex = rng.random(n) < sc.early_exit_prob
            self.withdraw_day[ex] = rng.uniform(1.0, float(sdays[1]), size=int(ex.sum()))
        self.death_day[(self.death_day > H) | (self.death_day >= self.withdraw_day)] = np.inf
        self.exit_day = np.minimum(self.death_day, self.withdraw_day)
        if self.tumour_driven:
            self.threshold = rng.spawn(1)[0].standard_exponential(n)
            self.cum_hazard = np.zeros(n)
            self.burden0 = burden0
            self.eta0 = baseline_log_hazard(self.cfg, coh.sites, coh.sld0, coh.hazard_factor)

    @property
    def any(self) -> bool:
        """Whether anybody can leave the study (then burdens are masked after exit)."""
        return self.tumour_driven or bool(np.isfinite(self.exit_day).any())

    def step(self, t: float, dt: float, burden: np.ndarray) -> None:
        """Deaths in [t, t + dt) with the burden ``burden`` held over the step (on-study patients)."""
        if not self.tumour_driven or t >= self.horizon:
            return
        alive = self.exit_day > t
        dh = hazard_step(self.cfg, t, dt, self.eta0 + burden_log_hazard(self.cfg, burden, self.burden0),
                         self.other)
        dh *= alive
        died, day = deaths_in_step(self.cum_hazard, self.threshold, dh, t, dt)
        self.cum_hazard += dh
        died &= (day <= self.horizon) & (day < self.withdraw_day)
        if died.any():
            self.death_day = np.where(died, day, self.death_day)
            self.exit_day = np.minimum(self.exit_day, self.death_day)

    def is_death(self) -> np.ndarray:
        return self.death_day <= self.withdraw_day

    def outcomes(self, pd_seen: np.ndarray, first_pd_day: np.ndarray, last_scan: float):
        """(pfs_days, pfs_event, os_days, os_event, exit_reason) at the end of the chunk.

        PFS: first PD (recorded day; scans only happen while on study, so before any exit), else
        death, else censored at withdrawal or at the last scan. OS: death, else censored at
        withdrawal or at the horizon. ``exit_reason``: 0 on study at the horizon, 1 death, 2
        withdrawal.
        """
        dd, wd = self.death_day, self.withdraw_day
        os_event = np.isfinite(dd) & (dd <= wd)
        withdrawn = ~os_event & np.isfinite(wd)
        pfs_days = np.where(pd_seen, first_pd_day, np.where(os_event, dd, np.where(withdrawn, wd, last_scan)))
        os_days = np.where(os_event, dd, np.where(withdrawn, wd, float(self.horizon)))
        reason = np.where(os_event, 1, np.where(withdrawn, 2, 0)).astype(np.int8)
        return pfs_days, pd_seen | os_event, os_days, os_event, reason
