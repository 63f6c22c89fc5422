"""``simulate(...)``: the public entry point of the treatment simulator."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..patients.config import Scenario
from .engine import ChunkOutput, scan_days, simulate_chunk
from .result import SimulationResult

_KEEP = ("summary", "trajectories", "all")


def _run_chunk(scenario: Scenario, size: int, seq: np.random.SeedSequence, keep: str) -> ChunkOutput:
    return simulate_chunk(scenario, size, np.random.Generator(np.random.PCG64(seq)), keep=keep)


def simulate(scenario: Scenario | str | Path, *, n_patients: int, seed: int = 0,
             keep: str = "all", chunk_size: int | None = None, executor=None) -> SimulationResult:
    """Simulate a virtual cohort under a scenario.

    Parameters
    ----------
    scenario : Scenario, preset name (``oncodyn.scenarios.list_scenarios()``) or TOML path
    n_patients : cohort size
    seed : root seed; chunk ``i`` uses ``SeedSequence(seed).spawn(n_chunks)[i]``
    keep : "summary" (endpoints only, least memory), "trajectories" (+ weekly burden,
        treatment state, per-scan responses) or "all" (+ lesion measurements, events)
    chunk_size : patients per chunk (default ``oncodyn.trials.CHUNK_SIZE``); part of the seed
        contract, independent of the number of workers
    executor : ``oncodyn.trials.SerialExecutor()`` (default) or ``DaskExecutor(...)``

    Returns
    -------
    SimulationResult
    """
    from ..scenarios import load_scenario
    from ..trials.executors import CHUNK_SIZE, SerialExecutor, chunk_plan

    sc = load_scenario(scenario)
    if keep not in _KEEP:
        raise ConfigError(f"keep={keep!r} not allowed; allowed: {', '.join(_KEEP)}")
    cs = CHUNK_SIZE if chunk_size is None else int(chunk_size)
    plan = chunk_plan(int(n_patients), int(seed), cs)
    ex = executor if executor is not None else SerialExecutor()
    outs: list[ChunkOutput] = ex.map(_run_chunk, [(sc, size, seq, keep) for _, size, seq in plan])
    return assemble(sc, int(seed), cs, outs)


def assemble(sc: Scenario, seed: int, chunk_size: int, outs: list[ChunkOutput]) -> SimulationResult:
    """Concatenate chunk outputs in chunk order."""
    def cat(name: str):
        vals = [getattr(o, name) for o in outs]
        return None if any(v is None for v in vals) else np.concatenate(vals, axis=0)

    grid = np.arange(0, sc.horizon_days + 1, sc.dt_days)
    return SimulationResult(
        scenario=sc, seed=seed, chunk_size=chunk_size, grid=grid, scan_days=scan_days(sc),
        bor=cat("bor"), best_pct=cat("best_pct"), pfs_days=cat("pfs_days"),
        pfs_event=cat("pfs_event"), base_sod=cat("base_sod"), n_lesions=cat("n_lesions"),
        n_targets=cat("n_targets"), cum_dose=cat("cum_dose"), covariates=cat("covariates"),
        burden=cat("burden"), state=cat("state"), scan_resp=cat("scan_resp"),
        scan_sod=cat("scan_sod"), exit_day=cat("exit_day"), n_irradiated=cat("n_irradiated"),
        os_days=cat("os_days"), os_event=cat("os_event"), exit_reason=cat("exit_reason"),
        on_tx_days=cat("on_tx_days"), tot_days=cat("tot_days"), tf_days=cat("tf_days"), n_doses=cat("n_doses"),
        sites=cat("sites"), sld0=cat("sld0"), baseline_row=cat("baseline_row"),
        baseline_source=("poplar" if any(o.baseline_row is not None and np.any(o.baseline_row >= 0)
                                         for o in outs)
                         else ("parametric (fallback: POPLAR file not found)"
                               if sc.baseline.source == "poplar" else "parametric")),
        chunks=tuple(outs) if outs and outs[0].scan_meas is not None else (),
    )
