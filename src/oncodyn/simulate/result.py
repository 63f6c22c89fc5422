"""SimulationResult: immutable record of a simulated cohort, with tables and a cohort summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..patients.config import ORGANS, Scenario
from ..survival import median_ci, wilson_ci
from .engine import EV_NAMES, ChunkOutput
from .recist_arrays import CODES, SD

DAYS_PER_MONTH = 365.25 / 12


def _fin(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def _months(x: float) -> float | None:
    return None if not np.isfinite(x) else round(x / DAYS_PER_MONTH, 4)
#: ``exit_reason`` codes -> ``off_study_reason`` of :meth:`SimulationResult.patients_frame`.
EXIT_REASONS = ("none", "death", "withdrawal")


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

    Overall survival: ``os_days`` (death day, else the censoring day: withdrawal or the horizon),
    ``os_event`` (bool, died), ``exit_reason`` (:data:`EXIT_REASONS` index: on study at the
    horizon, death, withdrawal). Treatment exposure: ``on_tx_days`` (days on chemotherapy, i.e.
    within one cycle after a dose), ``tot_days`` (time on treatment: first dose to one cycle after
    the last dose, pauses included; the last cycle counts in full), ``tf_days`` (days alive on study after the first dose and off
    chemotherapy: pauses, after stopping), ``n_doses``. ``sites`` and ``sld0``: the survival
    model's baseline covariates; ``baseline_row``: row of the baseline pool (-1 = parametric).
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
    os_days: np.ndarray | None = None
    os_event: np.ndarray | None = None
    exit_reason: np.ndarray | None = None
    on_tx_days: np.ndarray | None = None
    tot_days: np.ndarray | None = None
    tf_days: np.ndarray | None = None
    n_doses: np.ndarray | None = None
    sites: np.ndarray | None = None
    sld0: np.ndarray | None = None
    baseline_row: np.ndarray | None = None
    baseline_source: str = ""
    chunks: tuple[ChunkOutput, ...] = field(default=(), repr=False)

    @property
    def n(self) -> int:
        return int(self.bor.size)

    # ------------------------------------------------------------------ summary
    def survival_summary(self, level: float = 0.95) -> dict[str, Any]:
        """Median OS with its Brookmeyer–Crowley CI (days and months), deaths and censoring."""
        if self.os_days is None:
            return {}
        med = median_ci(self.os_days, self.os_event, level)
        reason = self.exit_reason
        after_pd = self.os_event & self.pfs_event & (self.pfs_days < self.os_days)
        return {
            "median_os_days": _fin(med.median), "median_os_ci_days": [_fin(med.lower), _fin(med.upper)],
            "median_os_months": _months(med.median),
            "median_os_ci_months": [_months(med.lower), _months(med.upper)],
            "os_events": int(self.os_event.sum()),
            "deaths_after_progression": int(after_pd.sum()),
            "withdrawals": int((reason == 2).sum()),
        }

    def exposure_summary(self) -> dict[str, Any]:
        """Treatment exposure: time on treatment, treatment-free weeks, doses, dose intensity.

        Relative dose intensity (Hryniuk W, Bush H (1984) J Clin Oncol 2:1281): delivered dose per
        unit time over the time on treatment (``tot_days``) divided by the planned
        ``chemo.dose_mg_m2`` per ``chemo.cycle_days``; its mean over treated patients. Weeks are
        means over all patients.
        """
        ch = self.scenario.chemo
        if ch is None or self.tot_days is None:
            return {}
        treated = self.n_doses > 0
        planned = ch.dose_mg_m2 * self.tot_days / ch.cycle_days
        rdi = np.where(treated & (planned > 0), self.cum_dose / np.where(planned > 0, planned, 1.0), np.nan)
        return {
            "time_on_treatment_weeks_mean": round(float(self.tot_days.mean()) / 7.0, 3),
            "time_on_treatment_weeks_median": round(float(np.median(self.tot_days)) / 7.0, 3),
            "weeks_on_chemotherapy_mean": round(float(self.on_tx_days.mean()) / 7.0, 3),
            "treatment_free_weeks_mean": round(float(self.tf_days.mean()) / 7.0, 3),
            "doses_mean": round(float(self.n_doses.mean()), 3),
            "relative_dose_intensity_mean": (round(float(np.nanmean(rdi)), 4) if treated.any() else None),
        }

    def _baseline_summary(self) -> dict[str, Any]:
        """Where the baseline came from; for POPLAR rows, the pool size and the rows dropped."""
        if self.scenario.baseline.source != "poplar":
            return {"baseline_source": "parametric"}
        from pathlib import Path

        from ..patients.baseline import FALLBACK_NOTE, find_baseline_file, load_baseline_pool

        b = self.scenario.baseline
        found = find_baseline_file(b.file)
        if self.baseline_source.startswith("parametric") or found is None:
            return {"baseline_source": "parametric (fallback)", "baseline_note": FALLBACK_NOTE}
        pool = load_baseline_pool(str(found), tuple(b.arms))
        return {"baseline_source": "poplar", "baseline_file": Path(pool.file).name,
                "baseline_arms": list(pool.arms), "baseline_rows": pool.n,
                "baseline_rows_dropped": [{"line": ln, "column": c, "reason": r} for ln, c, r in pool.dropped]}

    def summary(self, level: float = 0.95) -> dict[str, Any]:
        """Cohort endpoints: ORR, DCR, response split (Wilson CIs), median PFS and OS
        (Brookmeyer–Crowley), deaths, and treatment exposure (:meth:`exposure_summary`)."""
        n = self.n
        counts = {c: int((self.bor == i).sum()) for i, c in enumerate(CODES)}
        orr_k = counts["CR"] + counts["PR"]
        # disease control: CR, PR, SD or NON-CR/NON-PD (patients followed on non-targets only)
        dcr_k = orr_k + counts["SD"] + counts["NON-CR/NON-PD"]
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
            **self.survival_summary(level),
            **self.exposure_summary(),
            **self._baseline_summary(),
            **({"irradiated_lesions": int(self.n_irradiated.sum()),
                "patients_without_irradiated_lesion": int((self.n_irradiated == 0).sum())}
               if self.scenario.radiation and self.n_irradiated is not None else {}),
            "ci_level": level,
            "ci_methods": {"proportions": "Wilson score",
                           "median_pfs": "Kaplan-Meier, Brookmeyer-Crowley (Greenwood, plain)",
                           "median_os": "Kaplan-Meier, Brookmeyer-Crowley (Greenwood, plain)"},
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
        if self.os_days is not None:
            df["os_days"] = self.os_days
            df["os_event"] = self.os_event
            df["off_study_reason"] = np.asarray(EXIT_REASONS)[self.exit_reason]
            df["off_study_day"] = np.where(self.exit_reason > 0, self.exit_day, np.nan)
            df["time_on_treatment_days"] = self.tot_days
            df["treatment_free_days"] = self.tf_days
            df["n_doses"] = self.n_doses
            df["metastatic_sites"] = self.sites
            df["baseline_sld_mm"] = self.sld0
        for j, c in enumerate(self.scenario.covariates):
            df[c.name] = np.asarray(c.levels)[self.covariates[:, j]]
        if (self.scenario.baseline.source == "poplar" and self.baseline_row is not None
                and self.baseline_source == "poplar"):
            from ..patients.baseline import find_baseline_file, load_baseline_pool

            b = self.scenario.baseline
            pool = load_baseline_pool(str(find_baseline_file(b.file)), tuple(b.arms))
            rows = self.baseline_row
            df["baseline_source_line"] = pool.source_row[rows]  # line of the POPLAR file
            for name in ("age", "sex", "histology", "prior_therapies", "tobacco", "ecog"):
                if name not in df.columns:
                    df[name] = pool.column(name)[rows]
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
        """Per scan: subject_id, tp, day (recorded assessment day), nominal_day, overall response,
        SOD and % change from baseline (NaN without baseline targets)."""
        import pandas as pd

        if self.scan_resp is None:
            raise ValueError("scan results were not kept")
        n, S = self.scan_resp.shape
        sod = self.scan_sod.astype(float)
        base = self.base_sod.astype(float)[:, None]
        # no target at baseline (sum 0): no % change (NaN), computed without a 0/0 warning
        pct = np.where(base > 0, 100 * (sod / np.where(base > 0, base, 1.0) - 1.0), np.nan)
        # the recorded assessment day (nominal day + visit jitter), as in lesions_frame and the
        # simulator's own RECIST; the nominal scan day alongside
        days = [ch.scan_day for ch in self.chunks]
        day = (np.concatenate(days) if days and all(d is not None for d in days)
               else np.broadcast_to(self.scan_days, (n, S)))
        overall = np.asarray(CODES, dtype=object)[self.scan_resp]
        # patients followed on non-target disease only: NON-CR/NON-PD (RECIST 1.1 Table 2)
        overall[(self.n_targets == 0)[:, None] & (self.scan_resp == SD)] = "NON-CR/NON-PD"
        df = pd.DataFrame({
            "subject_id": np.repeat(np.arange(n), S), "tp": np.tile(np.arange(S), n),
            "day": np.asarray(day).ravel(), "nominal_day": np.tile(self.scan_days, n),
            "overall": overall.ravel(),
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
