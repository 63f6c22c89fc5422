"""``oncodyn bench simulate``: virtual-cohort throughput, scaling, memory and worker invariance.

Workload per patient (preset ``nsclc_docetaxel`` unless ``--scenario``): 2 years on a weekly
grid, docetaxel every 3 weeks with Friberg toxicity and dose rules, imaging every 6 weeks with
measurement error and RECIST 1.1 at every scan. The weekly burden output is computed for every
patient at every step and reduced inside the chunk (cohort sum per week, each patient's burden
at weeks 0, 26, 52 and 104), next to the per-patient endpoints (BOR, PFS time/event, best %
change): a chunk returns O(chunk) numbers, never trajectories, so memory stays bounded and
little crosses the wire from the Dask workers.

Chunks are those of :func:`oncodyn.simulate.simulate` (``--chunk-size``, default
``oncodyn.trials.CHUNK_SIZE``; 10,000 measured within 5% of the best of 2,500 .. 40,000 per
patient), so the endpoints equal ``simulate(scenario, n_patients=N, seed=S)``'s.
Workers are warmed up (imports, tables) before any timing; ``wall_s`` is the time of the
chunk map alone. The machine may be shared: ``load_avg_1m`` (before each size) and ``cpu_s``
(CPU seconds of this process and the workers during the map) are reported so that a wall time
inflated by other work can be recognised (``cpu_s / wall_s`` is the number of cores used).

JSON keys (stable): ``patients``, ``years``, ``wall_s``, ``patients_per_s``, ``peak_rss_mb``
(largest peak resident set among this process and the Dask workers), ``peak_rss_main_mb``,
``workers``, ``chunk_size``, ``scaling`` (list of {patients, wall_s, cpu_s, load_avg_1m}),
``identical_across_workers`` (serial vs Dask with ``workers`` workers on a small cohort: every
per-patient array of the benchmark's chunks and of ``simulate(keep="all")`` bit-equal),
``median_burden_week104_mm``, ``orr``, ``os_events`` and ``median_os_months`` (Kaplan–Meier)
of the largest cohort: the workload includes the death model (tumour-driven hazard, every step).
"""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np
import typer

BURDEN_DAYS = (0, 182, 364, 728)  # weeks 0, 26, 52, 104


def _bench_chunk(scenario, size, seq):  # runs on workers: endpoints + reduced weekly output
    from ..simulate.engine import simulate_chunk

    days = tuple(d for d in BURDEN_DAYS if d <= scenario.horizon_days)
    out = simulate_chunk(scenario, size, np.random.Generator(np.random.PCG64(seq)), keep="summary",
                         burden_days=days)
    return (out.bor, out.pfs_days, out.pfs_event, out.best_pct, out.burden_at, out.burden_weekly_sum,
            out.os_days, out.os_event)


def _warm(scenario) -> float:  # imports, the Friberg nadir table and first-call costs, per process
    _bench_chunk(scenario, 50, np.random.SeedSequence(0))
    return time.process_time()


def _cpu_now() -> float:
    return time.process_time()


def _cpu(ex) -> float:
    """CPU seconds so far of this process plus every Dask worker process."""
    total = time.process_time()
    client = getattr(ex, "client", None)
    if client is not None:
        total += sum(client.run(_cpu_now).values())
    return total


def _run(sc, n: int, seed: int, ex, chunk_size: int) -> tuple[float, float, list[Any]]:
    from ..trials.executors import chunk_plan

    plan = chunk_plan(n, seed, chunk_size)
    c0 = _cpu(ex)
    t0 = time.perf_counter()
    res = ex.map(_bench_chunk, [(sc, size, seq) for _, size, seq in plan])
    wall = time.perf_counter() - t0
    return wall, _cpu(ex) - c0, res


def _same(a: list[Any], b: list[Any]) -> bool:
    return len(a) == len(b) and all(
        np.array_equal(x, y, equal_nan=True) for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True))


def _median_months(t: np.ndarray, e: np.ndarray) -> float | None:
    from ..survival import median_ci

    m = median_ci(t, e).median
    return round(m / (365.25 / 12), 3) if np.isfinite(m) else None


def parse_sizes(text: str, patients: int) -> list[int]:
    """``"10000,100000"`` -> sorted sizes below ``patients``, then ``patients`` (ConfigError on junk)."""
    from ..errors import ConfigError

    try:
        sizes = [int(float(x)) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ConfigError(f"--scaling must be comma-separated patient counts (got {text!r})") from None
    if any(s < 1 for s in sizes):
        raise ConfigError(f"--scaling sizes must be >= 1 (got {text!r})")
    return sorted({s for s in sizes if s < patients}) + [patients]


def bench_simulate(
    patients: int = typer.Option(1_000_000, "--patients", min=1, help="Largest cohort."),
    json_out: Path = typer.Option(None, "--json", help="Write the figures here."),
    workers: int = typer.Option(2, "--workers", min=1, help="Dask workers (1 = serial in-process)."),
    scenario: str = typer.Option("nsclc_docetaxel", "--scenario", help="Preset or TOML."),
    seed: int = typer.Option(0, "--seed"),
    scaling_sizes: str = typer.Option("10000,100000", "--scaling",
                                      help="Smaller cohort sizes to time first (comma-separated)."),
    chunk_size: int = typer.Option(None, "--chunk-size", min=1,
                                   help="Patients per chunk (default oncodyn.trials.CHUNK_SIZE)."),
    scheduler: str = typer.Option(None, "--scheduler",
                                  help="Dask scheduler address of an existing cluster (tcp://host:8786); "
                                       "default: a LocalCluster with --workers workers."),
) -> None:
    """Throughput and scaling of the simulator (10^4 .. N patients), peak memory, worker invariance."""
    from ..scenarios import load_scenario
    from ..simulate import simulate
    from ..trials import DaskExecutor, SerialExecutor
    from ..trials.executors import CHUNK_SIZE

    sc = load_scenario(scenario)
    cs = CHUNK_SIZE if chunk_size is None else int(chunk_size)
    sizes = parse_sizes(scaling_sizes, patients)
    years = sc.horizon_days / 365.25
    ex = DaskExecutor(workers=workers, address=scheduler) if (workers > 1 or scheduler) else SerialExecutor()
    try:
        if isinstance(ex, DaskExecutor):
            ex.client.run(_warm, sc)
        _warm(sc)
        scaling = []
        last = None
        for s in sizes:
            load = os.getloadavg()[0]
            wall, cpu, last = _run(sc, s, seed, ex, cs)
            scaling.append({"patients": s, "wall_s": round(wall, 3), "cpu_s": round(cpu, 2),
                            "load_avg_1m": round(load, 2)})
        bor = np.concatenate([r[0] for r in last])
        wk = np.concatenate([r[4] for r in last])
        os_days = np.concatenate([r[6] for r in last])
        os_event = np.concatenate([r[7] for r in last])
        # worker invariance on a small cohort (4 chunks): the benchmark's own chunk outputs and
        # every per-patient array of simulate(keep="all")
        small_cs = 2_500
        ref = _run(sc, 4 * small_cs, seed + 1, SerialExecutor(), small_cs)[2]
        got = _run(sc, 4 * small_cs, seed + 1, ex, small_cs)[2]
        same = _same(ref, got)
        small = dict(n_patients=4 * small_cs, seed=seed + 1, keep="all", chunk_size=small_cs)
        a = simulate(sc, executor=SerialExecutor(), **small)
        b = simulate(sc, executor=ex, **small)
        same = same and all(np.array_equal(getattr(a, k), getattr(b, k), equal_nan=True)
                            for k in ("bor", "best_pct", "pfs_days", "pfs_event", "base_sod", "burden",
                                      "state", "scan_sod", "scan_resp", "os_days", "os_event",
                                      "exit_reason"))
        same = same and a.events_frame().equals(b.events_frame())
        rss_workers = ex.peak_rss_mb() if isinstance(ex, DaskExecutor) else 0.0
    finally:
        ex.close()
    rss_main = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    wall = scaling[-1]["wall_s"]
    out: dict[str, Any] = {
        "patients": patients, "years": round(years, 3), "wall_s": wall,
        "patients_per_s": round(patients / wall, 1), "peak_rss_mb": round(max(rss_main, rss_workers), 1),
        "peak_rss_main_mb": round(rss_main, 1), "workers": workers, "chunk_size": cs,
        "scaling": scaling, "identical_across_workers": bool(same),
        # among patients still on study at week 104 (burden is NaN after exit)
        "median_burden_week104_mm": (float(np.nanmedian(wk[:, -1]))
                                     if wk.shape[1] and np.isfinite(wk[:, -1]).any() else None),
        "orr": float(np.isin(bor, (3, 4)).mean()),
        "os_events": int(os_event.sum()),
        "median_os_months": _median_months(os_days, os_event),
    }
    text = json.dumps(out, indent=2)
    if json_out is not None:
        Path(json_out).write_text(text + "\n", encoding="utf-8")
    typer.echo(text)
