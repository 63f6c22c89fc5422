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
                                      help="patients re-evaluated by the reference engine")) -> None:
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
    json_out.write_text(json.dumps(out, indent=2))
    typer.echo(json.dumps(out))
