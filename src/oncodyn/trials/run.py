"""``run_trial(design, ...)``: simulate a two-arm virtual trial, and many of them for power.

Seed contract: simulated trial ``r`` (0 = the trial reported in full) draws from
``SeedSequence(design.seed).spawn(...)[r]``; its control and experimental arms from that
sequence's two children (independent cohorts, even when the arms are identical). Each arm is a
``simulate(scenario, n_patients=..., seed=...)`` cohort. The trials are mapped over an executor
(serial or Dask, :mod:`.executors`) and gathered in index order, so the same design and seed give
identical results whatever the number of workers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .analysis import ORR_CODES, ArmData, compare_arms
from .design import TrialDesign, arm_scenario


def arm_seeds(seed: int, replicate: int) -> tuple[int, int]:
    """(control, experimental) integer seeds of simulated trial ``replicate``."""
    ss = np.random.SeedSequence(seed).spawn(replicate + 1)[replicate]
    c, e = ss.spawn(2)
    return int(c.generate_state(1, np.uint32)[0]), int(e.generate_state(1, np.uint32)[0])


def _arm_data(res) -> ArmData:
    from ..simulate.recist_arrays import CODES

    resp_codes = [CODES.index(c) for c in ORR_CODES]
    os_days = getattr(res, "os_days", None)
    os_event = getattr(res, "os_event", None)
    return ArmData(responder=np.isin(res.bor, resp_codes), pfs_days=np.asarray(res.pfs_days, float),
                   pfs_event=np.asarray(res.pfs_event, bool),
                   os_days=None if os_days is None else np.asarray(os_days, float),
                   os_event=None if os_event is None else np.asarray(os_event, bool))


def simulate_arms(design: TrialDesign, scenarios: dict[str, Any], replicate: int):
    """(control result, experimental result) of simulated trial ``replicate`` (keep="summary")."""
    from ..simulate import simulate

    n_c, n_e = design.arm_sizes()
    s_c, s_e = arm_seeds(design.seed, replicate)
    rc = simulate(scenarios[design.control], n_patients=n_c, seed=s_c, keep="summary")
    re_ = simulate(scenarios[design.experimental], n_patients=n_e, seed=s_e, keep="summary")
    return rc, re_


def _one_trial(design: TrialDesign, scenarios: dict[str, Any], replicate: int) -> dict[str, Any]:
    rc, re_ = simulate_arms(design, scenarios, replicate)
    return compare_arms(_arm_data(rc), _arm_data(re_), design.endpoints, design.alpha)


def _batch(design: TrialDesign, scenarios: dict[str, Any], reps: list[int]) -> list[dict[str, Any]]:
    return [_one_trial(design, scenarios, r) for r in reps]


@dataclass(frozen=True)
class TrialResult:
    """One virtual trial in full, plus the analyses of ``replicates`` simulated trials.

    ``patients``: per patient of trial 0 (arm, bor, pfs, os); ``main``: its analysis
    ({endpoint: figures}); ``replicate_rows``: one dict per (trial, endpoint); ``power``:
    {endpoint: {"success", "success_ci", "reject", "replicates"}} (empty without replicates).
    """

    design: TrialDesign
    patients: Any
    main: dict[str, dict[str, float]]
    replicate_rows: list[dict[str, Any]]
    power: dict[str, dict[str, Any]]

    def summary(self) -> dict[str, Any]:
        d = self.design
        n_c, n_e = d.arm_sizes()
        return {
            "trial": d.name, "seed": d.seed, "control": d.control, "experimental": d.experimental,
            "n_control": n_c, "n_experimental": n_e, "alpha": d.alpha, "primary": d.primary,
            "endpoints": list(d.endpoints), "trial_0": self.main,
            "replicates": len({r["replicate"] for r in self.replicate_rows}),
            "power": self.power,
            "methods": {"orr_difference": "Newcombe hybrid score CI; score test p",
                        "hazard_ratio": "Cox PH (statsmodels PHReg, Efron ties), Wald CI",
                        "log_rank": "statsmodels survdiff", "power_ci": "Wilson score"},
            "not_a_clinical_decision_tool": True,
        }


def run_trial(design: TrialDesign, *, replicates: int | None = None, executor=None,
              batch_size: int = 10, progress: Callable[[int, int], None] | None = None) -> TrialResult:
    """Simulate trial 0 in full and ``replicates`` trials (default ``design.replicates``).

    Parameters
    ----------
    design : a validated :class:`TrialDesign` (:func:`oncodyn.trials.design.load_design`)
    replicates : number of simulated trials for power (0 = trial 0 only); trial 0 is replicate 0
    executor : ``SerialExecutor`` (default) or ``DaskExecutor``; results do not depend on it
    batch_size : trials per task (fixed; grouping does not change any result)
    progress : called with (trials done, trials in all) after each batch
    """
    import pandas as pd

    from ..simulate.recist_arrays import CODES
    from ..survival import wilson_ci
    from .executors import SerialExecutor

    scenarios = {a: arm_scenario(design, a, source=f"trial {design.name}") for a in design.arms}
    R = design.replicates if replicates is None else int(replicates)
    if R < 0:
        from ..errors import ConfigError

        raise ConfigError(f"replicates must be >= 0 (got {R})")
    rc, re_ = simulate_arms(design, scenarios, 0)
    main = compare_arms(_arm_data(rc), _arm_data(re_), design.endpoints, design.alpha)
    frames = []
    for arm, res in ((design.control, rc), (design.experimental, re_)):
        f = {"arm": arm, "bor": np.asarray(CODES)[res.bor], "pfs_days": res.pfs_days,
             "pfs_event": res.pfs_event}
        if getattr(res, "os_days", None) is not None:
            f["os_days"], f["os_event"] = res.os_days, res.os_event
        frames.append(pd.DataFrame(f))
    patients = pd.concat(frames, ignore_index=True)
    patients.insert(0, "patient", np.arange(len(patients)))

    rows: list[dict[str, Any]] = []
    power: dict[str, dict[str, Any]] = {}
    if R > 0:
        ex = executor if executor is not None else SerialExecutor()
        batches = [list(range(i, min(i + batch_size, R))) for i in range(0, R, batch_size)]
        results: list[dict[str, Any]] = []
        if progress is None:
            for out in ex.map(_batch, [(design, scenarios, b) for b in batches]):
                results.extend(out)
        else:  # in slices of batches, to report progress; same tasks, same order
            step = max(1, 2 * getattr(ex, "workers", 1))
            for i in range(0, len(batches), step):
                for out in ex.map(_batch, [(design, scenarios, b) for b in batches[i:i + step]]):
                    results.extend(out)
                progress(len(results), R)
        for r, res in enumerate(results):
            for ep, fig in res.items():
                rows.append({"replicate": r, "endpoint": ep, **fig})
        for ep in design.endpoints:
            k = int(sum(res[ep]["success"] for res in results))
            rej = int(sum(res[ep]["reject"] for res in results))
            est = np.array([res[ep]["estimate"] for res in results], dtype=float)
            power[ep] = {"success": k / R, "success_ci": list(wilson_ci(k, R, 0.95)),
                         "reject": rej / R, "replicates": R,
                         "median_estimate": float(np.nanmedian(est)) if np.isfinite(est).any() else None}
    return TrialResult(design=design, patients=patients, main=main, replicate_rows=rows, power=power)
