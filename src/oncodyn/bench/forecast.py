"""``oncodyn bench forecast``: the TumorGrowth.jl model battle protocol on any flat file.

Protocol (TumorGrowth.jl ``docs/src/examples/04_model_battle``; Blaom & Okon 2025,
arXiv:2502.07964): records with at least 6 readings; fit each law on all but the last 2 points
(time ``T_weeks``, value ``Lesion_normvol``); score = mean absolute error on the last 2 values.
Every method is reported against LOCF, the last calibration value carried forward.

JSON keys (stable): ``records``; ``methods`` -> name -> {``mean_mae``, ``median_mae``, ``n_failed``};
``published`` -> name -> {``mean_mae``, ``records``} (over the records where our fit of that law
succeeded); ``ci_vs_published`` and ``ci_vs_locf`` -> name -> [lo, hi]
(paired-bootstrap 95% CI of the mean difference, ours minus theirs); ``wall_s`` -> name -> s;
``input``: rows, series, records with enough readings and the counts left out (short series,
records without finite published errors, repeated time points kept as in the file).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from ..inference import forecast, locf, paired_bootstrap_ci
from ..models import CLASSICAL_LAWS
from ._flat import describe_flat, read_flat_batch

HOLDOUT = 2
MIN_READINGS = 6


def _read_published(path: Path, laws: tuple[str, ...]) -> Any:
    import pandas as pd

    if not path.exists():
        raise DataError("file not found", file=str(path))
    pub = pd.read_csv(path, dtype={"Pt_hashID": str})
    missing = [c for c in ("Pt_hashID", *laws) if c not in pub.columns]
    if missing:
        raise DataError(f"missing column(s) {missing} in the published errors file", file=str(path))
    return pub.set_index("Pt_hashID")


def run(data: str | Path, *, published: str | Path | None = None, json_out: str | Path | None = None,
        seed: int = 0, n_boot: int = 2000,
        progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the battle; returns (and optionally writes) the JSON-able result."""
    batch, table = read_flat_batch(data, min_readings=MIN_READINGS)
    test = batch.tail(batch.n - HOLDOUT)
    maes: dict[str, np.ndarray] = {}
    wall: dict[str, float] = {}
    aicc = []
    for law in CLASSICAL_LAWS:
        if progress:
            progress(law)
        t0 = time.perf_counter()
        fc = forecast(law, batch, holdout=HOLDOUT)
        wall[law] = time.perf_counter() - t0
        maes[law] = fc.mae()
        aicc.append((fc.fit.aicc, fc.mean))
    t0 = time.perf_counter()
    l_pred = locf(batch, holdout=HOLDOUT)
    with np.errstate(all="ignore"):
        maes["locf"] = np.nanmean(np.abs(l_pred - test.y), axis=1)
    wall["locf"] = time.perf_counter() - t0
    # oncodyn's own forecaster: per series, the law with the smallest AICc (Burnham & Anderson
    # 2002, §2.4); falls back to LOCF when no law gave a finite fit.
    t0 = time.perf_counter()
    crit = np.stack([np.where(np.isfinite(a), a, np.inf) for a, _ in aicc])
    means = np.stack([m for _, m in aicc])
    pick = np.argmin(crit, axis=0)
    sel = means[pick, np.arange(len(batch))]
    none_ok = ~np.isfinite(crit).any(axis=0)
    sel = np.where(none_ok[:, None], l_pred, sel)
    with np.errstate(all="ignore"):
        maes["aicc_select"] = np.nanmean(np.abs(sel - test.y), axis=1)
    wall["aicc_select"] = time.perf_counter() - t0 + sum(wall[law] for law in CLASSICAL_LAWS)

    ids = np.array(batch.ids, dtype=object)
    keep = np.ones(len(batch), dtype=bool)
    out: dict[str, Any] = {}
    pub_vals: dict[str, np.ndarray] = {}
    excluded_unpublished = 0
    if published is not None:
        pub = _read_published(Path(published), CLASSICAL_LAWS)
        known = np.array([i in pub.index for i in ids])
        vals = pub.reindex(ids)[list(CLASSICAL_LAWS)].to_numpy(float)
        keep = known & np.all(np.isfinite(vals), axis=1)
        excluded_unpublished = int((~keep).sum())
        if not keep.any():
            raise DataError("no record of the data has finite published errors for every law",
                            file=str(published))
        for j, law in enumerate(CLASSICAL_LAWS):
            pub_vals[law] = vals[keep, j]
    out["records"] = int(keep.sum())
    out["methods"] = {}
    for name, m in maes.items():
        mk = m[keep]
        fin = np.isfinite(mk)
        out["methods"][name] = {"mean_mae": float(np.mean(mk[fin])) if fin.any() else None,
                                "median_mae": float(np.median(mk[fin])) if fin.any() else None,
                                "n_failed": int((~fin).sum())}
    # published means over the same records as ours: where one of our fits failed
    # (n_failed > 0), that record leaves both means (it is counted in n_failed)
    out["published"] = {}
    for k, v in pub_vals.items():
        ours_ok = np.isfinite(maes[k][keep])
        out["published"][k] = {"mean_mae": float(np.mean(v[ours_ok])) if ours_ok.any() else None,
                               "records": int(ours_ok.sum())}
    out["ci_vs_published"] = {k: paired_bootstrap_ci(maes[k][keep] - v, n_boot=n_boot, seed=seed)
                              for k, v in pub_vals.items()}
    out["ci_vs_locf"] = {k: paired_bootstrap_ci(m[keep] - maes["locf"][keep], n_boot=n_boot, seed=seed)
                         for k, m in maes.items() if k != "locf"}
    out["input"] = {**describe_flat(table, MIN_READINGS),
                    "excluded_without_finite_published": excluded_unpublished}
    out["wall_s"] = {k: round(v, 4) for k, v in wall.items()}
    out["wall_s"]["total"] = round(sum(wall[k] for k in (*CLASSICAL_LAWS, "locf")), 4)
    out["protocol"] = {"min_readings": MIN_READINGS, "holdout": HOLDOUT, "time": "T_weeks",
                       "value": "Lesion_normvol", "score": "MAE on the held-out values",
                       "seed": seed, "n_boot": n_boot, "data": str(data),
                       "published": None if published is None else str(published)}
    if json_out is not None:
        _write_json(out, json_out)
    return out


def _write_json(obj: dict[str, Any], path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2))
    tmp.replace(path)
