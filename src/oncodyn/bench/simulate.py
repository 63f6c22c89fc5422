"""``oncodyn bench simulate``: virtual-cohort throughput, scaling, memory and worker invariance.

Workload per patient (preset ``nsclc_docetaxel`` unless ``--scenario``): 2 years on a weekly
grid (weekly burden output computed for every patient and reduced per chunk, so memory stays
bounded), docetaxel every 3 weeks with Friberg toxicity and dose rules, imaging every 6 weeks
with measurement error and RECIST 1.1 at every scan.

JSON keys (stable): ``patients``, ``years``, ``wall_s``, ``patients_per_s``, ``peak_rss_mb``
(largest peak resident set among this process and the Dask workers), ``peak_rss_main_mb``,
``workers``, ``chunk_size``, ``scaling`` (list of {patients, wall_s}), ``identical_across_workers``
(serial vs Dask with ``workers`` workers on a small cohort, every per-patient array bit-equal),
``median_burden_week104_mm``, ``orr``.
"""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np
import typer


def _bench_chunk(scenario, size, seq, keep):  # runs on workers: endpoints + reduced weekly output
    from ..simulate.engine import simulate_chunk

    out = simulate_chunk(scenario, size, np.random.Generator(np.random.PCG64(seq)), keep="trajectories")
    weekly_sum = out.burden.sum(axis=0, dtype=np.float64)
    return (out.bor, out.pfs_days, out.pfs_event, weekly_sum, out.burden[:, -1].copy())


def _run(sc, n: int, seed: int, ex) -> tuple[float, list[Any]]:
    from ..trials.executors import CHUNK_SIZE, chunk_plan

    plan = chunk_plan(n, seed, CHUNK_SIZE)
    t0 = time.perf_counter()
    res = ex.map(_bench_chunk, [(sc, size, seq, "trajectories") for _, size, seq in plan])
    return time.perf_counter() - t0, res


def bench_simulate(
    patients: int = typer.Option(1_000_000, "--patients", min=1, help="Largest cohort."),
    json_out: Path = typer.Option(None, "--json", help="Write the figures here."),
    workers: int = typer.Option(2, "--workers", min=1, help="Dask workers (1 = serial in-process)."),
    scenario: str = typer.Option("nsclc_docetaxel", "--scenario", help="Preset or TOML."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Throughput and scaling of the simulator (10^4 .. N patients), peak memory, worker invariance."""
    from ..scenarios import load_scenario
    from ..simulate import simulate
    from ..trials import DaskExecutor, SerialExecutor

    sc = load_scenario(scenario)
    years = sc.horizon_days / 365.25
    ex = DaskExecutor(workers=workers) if workers > 1 else SerialExecutor()
    try:
        sizes = [s for s in (10_000, 100_000) if s < patients] + [patients]
        scaling = []
        last = None
        for s in sizes:
            wall, last = _run(sc, s, seed, ex)
            scaling.append({"patients": s, "wall_s": round(wall, 3)})
        bor = np.concatenate([r[0] for r in last])
        wk104 = np.concatenate([r[4] for r in last])
        # worker invariance on a small cohort (4 chunks)
        small = dict(n_patients=4 * 2_500, seed=seed + 1, keep="all", chunk_size=2_500)
        a = simulate(sc, executor=SerialExecutor(), **small)
        b = simulate(sc, executor=ex, **small)
        same = all(np.array_equal(getattr(a, k), getattr(b, k), equal_nan=True)
                   for k in ("bor", "best_pct", "pfs_days", "pfs_event", "base_sod", "burden", "scan_sod"))
        same = same and a.events_frame().equals(b.events_frame())
        rss_workers = ex.peak_rss_mb() if isinstance(ex, DaskExecutor) else 0.0
    finally:
        ex.close()
    rss_main = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    wall = scaling[-1]["wall_s"]
    out: dict[str, Any] = {
        "patients": patients, "years": round(years, 3), "wall_s": wall,
        "patients_per_s": round(patients / wall, 1), "peak_rss_mb": round(max(rss_main, rss_workers), 1),
        "peak_rss_main_mb": round(rss_main, 1), "workers": workers, "chunk_size": 10_000,
        "scaling": scaling, "identical_across_workers": bool(same),
        "median_burden_week104_mm": float(np.median(wk104)),
        "orr": float(np.isin(bor, (3, 4)).mean()),
    }
    text = json.dumps(out, indent=2)
    if json_out is not None:
        Path(json_out).write_text(text + "\n", encoding="utf-8")
    typer.echo(text)
