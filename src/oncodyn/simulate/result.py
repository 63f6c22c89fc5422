"""SimulationResult: immutable record of a simulated cohort, with tables and a cohort summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..patients.config import ORGANS, Scenario
from ..survival import median_ci, wilson_ci
from .engine import EV_NAMES, ChunkOutput
from .recist_arrays import CODES

DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class SimulationResult:
    """Per-patient endpoints (always), trajectories/scans/events (depending on ``keep``).

    Attributes are NumPy arrays over patients (ids 0..n-1, in chunk order); ``grid`` holds the
    output days, ``scan_days`` the imaging days (baseline first). ``seed`` and ``chunk_size``
    fully determine the result together with the scenario.

    ``exit_day``: each patient's death / withdrawal day (inf = none within the horizon). A
    patient's ``burden`` is NaN from that day on (no tumour is measured after death or
    withdrawal), so cohort statistics over ``burden`` (``np.nanmedian``, the bench's weekly sum)
    describe the patients still on study; ``trajectories_frame`` omits those rows.
    ``n_irradiated``: per patient, the lesions inside the field of any radiotherapy course (0
    when the targeted organ holds no lesion in that patient).
    """

    scenario: Scenario
    seed: int
    chunk_size: int
    grid: np.ndarray
    scan_days: np.ndarray
    bor: np.ndarray
    best_pct: np.ndarray
    pfs_days: np.ndarray
    pfs_event: np.ndarray
    base_sod: np.ndarray
    n_lesions: np.ndarray
    n_targets: np.ndarray
    cum_dose: np.ndarray
    covariates: np.ndarray
    burden: np.ndarray | None = None
    state: np.ndarray | None = None
    scan_resp: np.ndarray | None = None
    scan_sod: np.ndarray | None = None
    exit_day: np.ndarray | None = None
    n_irradiated: np.ndarray | None = None
    chunks: tuple[ChunkOutput, ...] = field(default=(), repr=False)

    @property
    def n(self) -> int:
        return int(self.bor.size)

    # ------------------------------------------------------------------ summary
    def summary(self, level: float = 0.95) -> dict[str, Any]:
        """Cohort endpoints: ORR, DCR, response split (Wilson CIs), median PFS (Brookmeyer–Crowley)."""
        n = self.n
        counts = {c: int((self.bor == i).sum()) for i, c in enumerate(CODES)}
        orr_k = counts["CR"] + counts["PR"]
        dcr_k = orr_k + counts["SD"]
        med = median_ci(self.pfs_days, self.pfs_event, level)

        def m(x: float) -> float | None:
            return None if not np.isfinite(x) else round(x / DAYS_PER_MONTH, 4)

        return {
            "scenario": self.scenario.name, "patients": n, "seed": self.seed,
            "chunk_size": self.chunk_size,
            "orr": orr_k / n, "orr_ci": list(wilson_ci(orr_k, n, level)),
            "dcr": dcr_k / n, "dcr_ci": list(wilson_ci(dcr_k, n, level)),
            "best_response_counts": counts,
            "best_response_fractions": {c: v / n for c, v in counts.items()},
            "median_pfs_days": None if not np.isfinite(med.median) else med.median,
            "median_pfs_ci_days": [None if not np.isfinite(x) else x for x in (med.lower, med.upper)],
            "median_pfs_months": m(med.median),
            "median_pfs_ci_months": [m(med.lower), m(med.upper)],
            "pfs_events": int(self.pfs_event.sum()),
            **({"irradiated_lesions": int(self.n_irradiated.sum()),
                "patients_without_irradiated_lesion": int((self.n_irradiated == 0).sum())}
               if self.scenario.radiation and self.n_irradiated is not None else {}),
            "ci_level": level,
            "ci_methods": {"proportions": "Wilson score", "median_pfs": "Kaplan-Meier, Brookmeyer-Crowley (Greenwood, plain)"},
        }

    # ------------------------------------------------------------------ tables (pandas at the edge)
    def patients_frame(self):
        import pandas as pd

        df = pd.DataFrame({
            "subject_id": np.arange(self.n), "bor": np.asarray(CODES)[self.bor],
            "best_pct_change": self.best_pct, "pfs_days": self.pfs_days,
            "pfs_event": self.pfs_event, "baseline_sod_mm": self.base_sod,
            "n_lesions": self.n_lesions, "n_targets": self.n_targets,
            "cumulative_dose_mg_m2": self.cum_dose,
        })
        for j, c in enumerate(self.scenario.covariates):
            df[c.name] = np.asarray(c.levels)[self.covariates[:, j]]
        return df

    def trajectories_frame(self):
        """Long table: subject_id, day, burden_mm (sum of true diameters of visible lesions), state.

        Days from a patient's exit (death / withdrawal, ``exit_day``) on are omitted: the
        patient is off study and their burden is not defined (NaN in ``burden``).
        """
        import pandas as pd

        if self.burden is None:
            raise ValueError("trajectories were not kept (simulate(..., keep='trajectories' or 'all'))")
        n, T = self.burden.shape
        states = np.array(["off", "line1", "line2", "paused"])
        df = pd.DataFrame({
            "subject_id": np.repeat(np.arange(n), T), "day": np.tile(self.grid, n),
            "burden_mm": self.burden.ravel(), "treatment": states[self.state.ravel()],
        })
        if self.exit_day is not None:
            on_study = (self.grid[None, :] < self.exit_day[:, None]).ravel()
            df = df[on_study].reset_index(drop=True)
        return df

    def lesions_frame(self):
        """Scan measurements in the RECIST engine's canonical input format (``oncodyn.recist``).

        Columns: subject_id, tp (0 = baseline), day (the recorded assessment day: nominal scan
        day plus the visit-window jitter, the day the simulator's own RECIST uses), lesion_id,
        role (TARGET/NON-TARGET/NEW), organ, nodal, method ("CT"), ld_mm, sa_mm, state.
        ``state`` carries the reader's qualitative calls exactly as the simulator's RECIST makes
        them: NA for targets (measured); for non-targets UNEQUIVOCAL_PROGRESSION at a scan where
        the non-target volume doubled from its nadir, ABSENT when gone (non-nodal read as 0 mm,
        nodes short axis < 10 mm, RECIST 1.1 section 4.3.2), PRESENT otherwise; new lesions are
        UNEQUIVOCAL from the scan that first detected them on.
        Non-nodal lesions report ld_mm; nodal lesions report the short axis in sa_mm (the
        simulator models a node's short axis).
        """
        import pandas as pd

        frames = []
        offset = 0
        for ch in self.chunks:
            if ch.scan_meas is None:
                raise ValueError("lesion measurements were not kept (simulate(..., keep='all'))")
            n, S, L = ch.scan_meas.shape
            pi, si, li = np.nonzero(np.isfinite(ch.scan_meas) & (ch.role[:, None, :] > 0))
            role = ch.role[pi, li]
            is_new = role == 3
            keep = ~is_new | ((ch.new_day[pi, li] >= 0) & (si >= ch.new_day[pi, li]))
            pi, si, li, role = pi[keep], si[keep], li[keep], role[keep]
            val = ch.scan_meas[pi, si, li].astype(float)
            nodal = ch.nodal[pi, li]
            roles = np.array(["", "TARGET", "NON-TARGET", "NEW"])[role]
            gone = np.where(nodal, val < 10.0, val == 0.0)
            nt_state = np.where(ch.scan_ntpd[pi, si], "UNEQUIVOCAL_PROGRESSION",
                                np.where(gone, "ABSENT", "PRESENT"))
            state = np.where(role == 1, None, np.where(role == 3, "UNEQUIVOCAL", nt_state))
            frames.append(pd.DataFrame({
                "subject_id": pi + offset, "tp": si, "day": ch.scan_day[pi, si],
                "lesion_id": np.char.add("L", (li + 1).astype(str)), "role": roles,
                "organ": np.asarray(ORGANS)[ch.organ[pi, li]], "nodal": nodal, "method": "CT",
                "ld_mm": np.where(nodal, np.nan, val), "sa_mm": np.where(nodal, val, np.nan),
                "state": state,
            }))
            offset += n
        df = pd.concat(frames, ignore_index=True)
        return df.sort_values(["subject_id", "tp", "lesion_id"], kind="stable").reset_index(drop=True)

    def timepoints_frame(self):
        """Per scan: subject_id, tp, day, overall response, SOD and % change from baseline."""
        import pandas as pd

        if self.scan_resp is None:
            raise ValueError("scan results were not kept")
        n, S = self.scan_resp.shape
        sod = self.scan_sod.astype(float)
        pct = 100 * (sod / self.base_sod[:, None] - 1.0)
        df = pd.DataFrame({
            "subject_id": np.repeat(np.arange(n), S), "tp": np.tile(np.arange(S), n),
            "day": np.tile(self.scan_days, n), "overall": np.asarray(CODES)[self.scan_resp.ravel()],
            "sod_mm": sod.ravel(), "pct_change_from_baseline": pct.ravel(),
        })
        df.loc[df.tp == 0, "overall"] = "BASELINE"
        return df[np.isfinite(df.sod_mm)].reset_index(drop=True)

    def events_frame(self):
        """Events: subject_id, day, event (toxicity, dose_reduced, switch, pause, ...), value."""
        import pandas as pd

        frames, offset = [], 0
        for ch in self.chunks:
            e = ch.events
            if e:
                frames.append(pd.DataFrame({
                    "subject_id": e["patient"] + offset, "day": e["day"],
                    "event": [EV_NAMES[int(c)] for c in e["code"]], "value": e["value"]}))
            offset += ch.n
        if not frames:
            return pd.DataFrame(columns=["subject_id", "day", "event", "value"])
        return pd.concat(frames, ignore_index=True).sort_values(["subject_id", "day"], kind="stable").reset_index(drop=True)
