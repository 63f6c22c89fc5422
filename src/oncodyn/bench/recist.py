"""``oncodyn bench recist``: speed of the vectorised RECIST 1.1 engine and its agreement with the
row-by-row reference engine on a sample, on a synthetic cohort (illustrative data,
:func:`oncodyn.recist.synthetic.generate_cohort`)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import typer


def _frames_equal(a, b) -> int:
    """Number of subjects whose time points, BOR or PFS differ between two results."""
    bad: set = set()
    for name in ("timepoints", "best_response", "pfs"):
        x = getattr(a, name).reset_index(drop=True)
        y = getattr(b, name).reset_index(drop=True)
        if x.shape != y.shape or list(x["subject_id"]) != list(y["subject_id"]):
            bad |= set(x["subject_id"]) ^ set(y["subject_id"]) or set(x["subject_id"])
            continue
        for col in x.columns:
            same = (x[col] == y[col]).fillna(False).to_numpy(dtype=bool) | \
                (x[col].isna() & y[col].isna()).to_numpy()
            bad |= set(x.loc[~same, "subject_id"])
    return len(bad)


def recist(patients: int = typer.Option(100_000, "--patients", min=1, help="cohort size"),
           json_out: Path = typer.Option(..., "--json", help="output JSON file"),
           seed: int = typer.Option(0, "--seed", help="seed of numpy.random.default_rng"),
           visits: int = typer.Option(8, "--visits", min=1,
                                      help="post-baseline visits per patient"),
           sample: int = typer.Option(2000, "--sample", min=1,
                                      help="patients re-evaluated by the reference engine"),
           cli: int = typer.Option(0, "--cli", min=0,
                                   help="also time `oncodyn recist` end to end on the lesions of "
                                        "`oncodyn simulate nsclc_docetaxel --patients N`")) -> None:
    """Time RECIST 1.1 evaluation of a synthetic cohort; compare a sample with the reference."""
    import numpy as np

    from ..recist import evaluate
    from ..recist.synthetic import generate_cohort

    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    c = generate_cohort(patients, rng, visits=visits)
    gen_s = time.perf_counter() - t0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    t0, c0 = time.perf_counter(), time.process_time()
    res = evaluate(c["lesions"], assessments=c["assessments"], subjects=c["subjects"],
                   engine="vectorized")  # the default path: every time point carries its reason
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    n_vec = int((res.engine == "vectorized").sum())
    ids = set(c["subjects"]["subject_id"].iloc[:sample])
    sub = {k: v[v["subject_id"].isin(ids)] for k, v in c.items()}
    t0 = time.perf_counter()
    ref = evaluate(sub["lesions"], assessments=sub["assessments"], subjects=sub["subjects"],
                   engine="reference")
    ref_wall = time.perf_counter() - t0
    vec = evaluate(sub["lesions"], assessments=sub["assessments"], subjects=sub["subjects"],
                   engine="vectorized")
    mism = _frames_equal(vec, ref)
    out = {"patients": patients, "visits": visits, "lesion_rows": int(len(c["lesions"])),
           "wall_s": round(wall, 3), "patients_per_s": round(patients / wall, 1),
           "generation_s": round(gen_s, 3), "vectorized_patients": n_vec,
           # CPU seconds of this process during evaluate (user + system, all threads) and the
           # 1-minute load average before it: on a shared machine wall_s includes waiting
           "cpu_s": round(cpu, 3), "load_avg_1m": None if load is None else round(load, 2),
           "reference_sample": len(ids), "reference_wall_s": round(ref_wall, 3),
           "sample_identical": mism == 0, "mismatches": mism, "seed": seed}
    if cli:
        out.update(cli_end_to_end(cli, seed=seed))
    json_out.write_text(json.dumps(out, indent=2))
    typer.echo(json.dumps(out))


def _timed_child(args: list[str]) -> tuple[float, float, float, int]:
    """Run a command; (wall s, CPU s of the child, its peak RSS in GB, exit status)."""
    import subprocess

    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {err.strip()[-300:]}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024**2, proc.returncode


def cli_end_to_end(patients: int, *, seed: int = 0) -> dict:
    """Cohort scale: ``oncodyn recist`` on the lesions of a simulated NSCLC cohort, end to end.

    The lesions come from :func:`oncodyn.simulate.simulate` (preset ``nsclc_docetaxel``, the
    same as ``oncodyn simulate nsclc_docetaxel --patients N --seed S``). The CLI runs in a child
    process (what a user runs) without and with the default plots; the baseline of the same run
    is the RECIST engine alone (``evaluate``) on the same table, in this process. Keys:
    ``cli_*_wall_s``/``cpu_s``/``peak_rss_gb`` and ``cli_*_over_engine`` (wall ratios).
    """
    import sys
    import tempfile

    from ..data.lesions import read_lesions
    from ..recist import evaluate
    from ..scenarios import load_scenario
    from ..simulate import simulate

    res = simulate(load_scenario("nsclc_docetaxel"), n_patients=patients, seed=seed, keep="all")
    with tempfile.TemporaryDirectory(prefix="oncodyn-bench-recist-") as tmp:
        les = os.path.join(tmp, "lesions.parquet")
        frame = res.lesions_frame()
        frame.to_parquet(les, index=False)
        del res
        t0 = time.perf_counter()
        evaluate(read_lesions(les))
        engine = time.perf_counter() - t0
        out = {"cli_patients": patients, "cli_lesion_rows": int(len(frame)),
               "cli_engine_wall_s": round(engine, 3)}
        del frame
        cmd = [sys.executable, "-m", "oncodyn.cli.main", "recist", les]
        for key, extra in (("no_plots", ["--no-plots"]), ("plots", [])):
            wall, cpu, rss, _ = _timed_child([*cmd, "--out", os.path.join(tmp, key), *extra])
            out.update({f"cli_{key}_wall_s": round(wall, 3), f"cli_{key}_cpu_s": round(cpu, 3),
                        f"cli_{key}_peak_rss_gb": round(rss, 3),
                        f"cli_{key}_over_engine": round(wall / engine, 2)})
    return out
