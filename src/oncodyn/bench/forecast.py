"""``oncodyn bench forecast``: the TumorGrowth.jl model battle protocol on any flat file.

Protocol (TumorGrowth.jl ``docs/src/examples/04_model_battle``; Blaom & Okon 2025,
arXiv:2502.07964): records with at least 6 readings; fit each law on all but the last 2 points
(time ``T_weeks``, value ``Lesion_normvol``); score = mean absolute error on the last 2 values.
Every method is reported against LOCF, the last calibration value carried forward.

JSON keys (stable): ``records``; ``methods`` -> name -> {``mean_mae``, ``median_mae``, ``n_failed``,
and for methods with intervals ``coverage_80``, ``coverage_95``, ``mean_width_80``,
``mean_width_95``, ``interval_score_80``, ``interval_score_95`` (Gneiting & Raftery 2007, mean
over records of the per-record mean), ``n_without_interval``, and ``brier_pd`` for methods giving
P(PD)}; ``brier_pd_base_rate`` (Brier score of the constant forecast equal to the PD rate of the
scored records, the climatological reference); ``ci_interval_score_vs_locf_quantile`` and
``ci_brier_vs_base_rate`` -> name -> [lo, hi]; ``penalised_vs_published`` (each law unpenalised,
with the TumorGrowth.jl penalty, and fitted with TumorGrowth.jl's whole recipe (``<law>_tumorgrowth``,
:mod:`oncodyn.inference.tumorgrowth_recipe`; with the per-record reproduction of the published
errors) on the records whose published errors are finite and <= 0.1 for every classical law); ``leave_one_study_out`` (probabilistic methods calibrated on the other
studies only, scored per study); see :mod:`oncodyn.bench._probabilistic` for the methods;
``published`` -> name -> {``mean_mae``, ``records``} (over the records where our fit of that law
succeeded); ``ci_vs_published`` and ``ci_vs_locf`` -> name -> [lo, hi]
(paired-bootstrap 95% CI of the mean difference, ours minus theirs); ``wall_s`` -> name -> s;
``input``: rows, series, records with enough readings and the counts left out (short series,
records without finite published errors, repeated time points kept as in the file).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from ..inference import forecast, locf, paired_bootstrap_ci
from ..inference.predictive import folds_by_series
from ..inference.regularise import TUMORGROWTH_PENALTY
from ..inference.tumorgrowth_recipe import forecast_tumorgrowth
from ..models import CLASSICAL_LAWS
from . import _probabilistic as prob
from ._flat import describe_flat, read_flat_batch

HOLDOUT = 2
MIN_READINGS = 6
PUBLISHED_MAX = 0.1
"""Published errors above this (or not finite) mark a record where TumorGrowth.jl's fit blew up;
the penalised-vs-published comparison leaves such records out (577 records)."""
PENALISED_LAWS = tuple(law for law in CLASSICAL_LAWS if law != "exponential")
PENALTY_GRID = (0.0, 0.25, 0.5, 0.8, 1.2)
"""Penalty exponents among which ``<law>_penalised_crossfit`` chooses (0.8: TumorGrowth.jl's)."""
PENALTY_FOLDS = 10
RECIPE_NOTE = ("<law>_tumorgrowth: TumorGrowth.jl's calibration ported as is "
               "(oncodyn.inference.tumorgrowth_recipe): penalty 0.8, initial guesses and scales "
               "of its guess_parameters/scale_default, Adam lr 1e-4 on the natural parameters with "
               "the gradient scaled twice, 10,000 steps (20,000 for bertalanffy), stop when out of "
               "bounds; every setting from TumorGrowth.jl's source, none tuned here")


def _read_published(path: Path, laws: tuple[str, ...]) -> Any:
    import pandas as pd

    if not path.exists():
        raise DataError("file not found", file=str(path))
    pub = pd.read_csv(path, dtype={"Pt_hashID": str})
    missing = [c for c in ("Pt_hashID", *laws) if c not in pub.columns]
    if missing:
        raise DataError(f"missing column(s) {missing} in the published errors file", file=str(path))
    return pub.set_index("Pt_hashID")


def progress_steps(*, saem: bool = True) -> int:
    """Number of ``progress`` calls :func:`run` makes (for a progress bar)."""
    return (len(CLASSICAL_LAWS) + 2 * len(PENALISED_LAWS)
            + len(prob.probabilistic_methods(saem=saem)))


def run(data: str | Path, *, published: str | Path | None = None, json_out: str | Path | None = None,
        seed: int = 0, n_boot: int = 2000,
        progress: Callable[[str], None] | None = None,
        population: Callable[[str], Any] | None = None, saem: bool = True) -> dict[str, Any]:
    """Run the battle; returns (and optionally writes) the JSON-able result.

    ``population``: optional ``model_name -> (train -> (draws, sigma))`` giving the population
    posterior of the population forecasters (empirical Bayes by default, see
    :mod:`oncodyn.bench._probabilistic`); ``saem``: include the SAEM population forecasters
    (:mod:`oncodyn.population`; about a minute on 2 cores).
    """
    batch, table = read_flat_batch(data, min_readings=MIN_READINGS)
    test = batch.tail(batch.n - HOLDOUT)
    maes: dict[str, np.ndarray] = {}
    wall: dict[str, float] = {}
    intervals: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    aicc = []
    for law in CLASSICAL_LAWS:
        if progress:
            progress(law)
        t0 = time.perf_counter()
        fc = forecast(law, batch, holdout=HOLDOUT)
        wall[law] = time.perf_counter() - t0
        maes[law] = fc.mae()
        intervals[law] = prob.law_intervals(fc)
        aicc.append((fc.fit.aicc, fc.mean))
    lam_chosen: dict[str, list[float]] = {}
    for law in PENALISED_LAWS:
        if progress:
            progress(f"{law} (penalised)")
        t0 = time.perf_counter()
        fc = forecast(law, batch, holdout=HOLDOUT, penalty=TUMORGROWTH_PENALTY)
        wall[f"{law}_penalised"] = time.perf_counter() - t0
        maes[f"{law}_penalised"] = fc.mae()
        intervals[f"{law}_penalised"] = prob.law_intervals(fc)
        t0 = time.perf_counter()
        maes[f"{law}_penalised_crossfit"], lam_chosen[law] = _crossfit_penalty(
            law, batch, {0.0: maes[law], TUMORGROWTH_PENALTY: maes[f"{law}_penalised"]}, seed)
        wall[f"{law}_penalised_crossfit"] = time.perf_counter() - t0
    for law in PENALISED_LAWS:  # TumorGrowth.jl's own recipe: penalty + scaled Adam, fixed steps
        if progress:
            progress(f"{law} (TumorGrowth.jl recipe)")
        t0 = time.perf_counter()
        _, tg_mean, tg_obs = forecast_tumorgrowth(law, batch, holdout=HOLDOUT)
        with np.errstate(all="ignore"):
            maes[f"{law}_tumorgrowth"] = np.nanmean(np.abs(tg_mean - tg_obs), axis=1)
        wall[f"{law}_tumorgrowth"] = time.perf_counter() - t0
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
    pub = None
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
        if name in intervals:
            d, _ = prob.interval_metrics(*intervals[name], test.y[:, :HOLDOUT], keep)
            out["methods"][name].update(d, intervals="the law's own delta-method t-intervals "
                                        "(not calibrated)")
    # probabilistic forecasters: calibrated intervals and P(PD)
    study = _study_labels(table, ids)
    t0 = time.perf_counter()
    fcs, loso = prob.run_methods(batch, HOLDOUT, seed=seed, study=study, progress=progress,
                                 population=population, saem=saem)
    wall["probabilistic"] = time.perf_counter() - t0
    summ = prob.summarise(fcs, loso, keep, maes, study, seed=seed, n_boot=n_boot)
    summ.pop("is95_per_record")
    out["methods"].update(summ.pop("methods"))
    out.update(summ)
    if published is not None:
        out["penalised_vs_published"] = _penalised_vs_published(pub, ids, maes, n_boot, seed)
    out["penalty_crossfit"] = {
        "grid": list(PENALTY_GRID), "folds": PENALTY_FOLDS,
        "rule": "per fold of records (seeded), the penalty with the smallest mean hold-out MAE "
                "on the OTHER folds' records; a record's own error never chooses its penalty",
        "chosen": {law: {str(v): int(c) for v, c in zip(*np.unique(lams, return_counts=True),
                                                         strict=True)}
                   for law, lams in lam_chosen.items()}}
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
    out["wall_s"]["all_methods"] = round(sum(v for k, v in wall.items() if k != "aicc_select"), 4)
    out["protocol"] = {"min_readings": MIN_READINGS, "holdout": HOLDOUT, "time": "T_weeks",
                       "value": "Lesion_normvol", "score": "MAE on the held-out values",
                       "intervals": "coverage and width over held-out points; interval score "
                                    "(Gneiting & Raftery 2007 eq. 43) per record then averaged",
                       "pd_rule": "next scan diameter >= max(1.2 x nadir, nadir + 5 mm), nadir "
                                  "= smallest diameter of the training part (RECIST 1.1 size "
                                  "rule on one lesion)",
                       "brier_base_rate": "constant forecast = PD rate of the scored records",
                       "calibration": "locf_quantile*: quantiles of changes from pseudo-"
                                      "forecasts in other series' training parts (10 folds); "
                                      "population_*: cross-fitted by series (10 folds, a record "
                                      "never calibrates itself); *_training/*_crossfit: the "
                                      "other choice; leave_one_study_out: folds = studies",
                       "population": "population_<model>: SAEM (oncodyn.population) on "
                                     "diameters; population_eb_<model>: empirical Bayes",
                       "seed": seed, "n_boot": n_boot, "data": str(data),
                       "published": None if published is None else str(published)}
    if json_out is not None:
        _write_json(out, json_out)
    return out


def _crossfit_penalty(law: str, batch: Any, known: dict[float, np.ndarray],
                      seed: int) -> tuple[np.ndarray, list[float]]:
    """Per-record hold-out MAE with the penalty chosen by cross-fitting over records.

    Every penalty of PENALTY_GRID is fitted to all records (``known`` holds those already
    fitted); the records are cut into PENALTY_FOLDS seeded folds and each fold gets the penalty
    with the smallest mean MAE on the other folds (cross-fitting by patient: the choice never
    sees the fold's own held-out points). Returns the MAEs and the penalty of each record.
    """
    grid = {}
    for lam in PENALTY_GRID:
        if lam in known:
            grid[lam] = known[lam]
        else:
            grid[lam] = forecast(law, batch, holdout=HOLDOUT, penalty=lam or None).mae()
    fold = folds_by_series(len(batch), PENALTY_FOLDS, seed)
    lams = np.array(PENALTY_GRID)
    table = np.stack([grid[lam] for lam in PENALTY_GRID])  # (L, B)
    out = np.full(len(batch), np.nan)
    chosen = np.zeros(len(batch))
    for f in range(PENALTY_FOLDS):
        rows = fold == f
        other = table[:, ~rows]
        ok = np.all(np.isfinite(other), axis=0)
        best = int(np.argmin(other[:, ok].mean(axis=1))) if ok.any() else 0
        out[rows] = table[best, rows]
        chosen[rows] = lams[best]
    return out, chosen.tolist()


def _study_labels(table: Any, ids: np.ndarray) -> np.ndarray | None:
    """Study of each record: the ``Study_id`` column when the table has it, else the ``-S<study>``
    suffix of TumorGrowth.jl's ``Pt_hashID`` (docs/data-formats.md#layouts); None otherwise."""
    if "Study_id" in table.columns:
        first = table.groupby("Pt_hashID", sort=False)["Study_id"].first()
        lab = first.reindex(ids).to_numpy()
        return None if any(v is None or v != v for v in lab) else lab.astype(str)
    found = [re.search(r"-S(\d+)$", str(i)) for i in ids]
    if not all(found):
        return None
    return np.array([f.group(1) for f in found if f is not None])


def _penalised_vs_published(pub: Any, ids: np.ndarray, maes: dict[str, np.ndarray],
                            n_boot: int, seed: int) -> dict[str, Any]:
    """Each law unpenalised and penalised vs TumorGrowth.jl's published errors, on the records
    whose published errors are finite and <= PUBLISHED_MAX for every classical law."""
    vals = pub.reindex(ids)[list(CLASSICAL_LAWS)].to_numpy(float)
    with np.errstate(invalid="ignore"):
        sane = np.all(np.isfinite(vals), axis=1) & np.all(vals <= PUBLISHED_MAX, axis=1)
    out: dict[str, Any] = {"records": int(sane.sum()), "penalty": TUMORGROWTH_PENALTY,
                           "rule": f"published errors finite and <= {PUBLISHED_MAX} for every "
                                   "classical law", "laws": {},
                           "tumorgrowth_recipe": RECIPE_NOTE}
    for j, law in enumerate(CLASSICAL_LAWS):
        theirs = vals[sane, j]
        row: dict[str, Any] = {"published_mean_mae": float(np.mean(theirs))}
        for kind, key in (("unpenalised", law), ("penalised", f"{law}_penalised"),
                          ("penalised_crossfit", f"{law}_penalised_crossfit"),
                          ("tumorgrowth_recipe", f"{law}_tumorgrowth")):
            if key not in maes:
                continue
            ours = maes[key][sane]
            row[f"{kind}_mean_mae"] = float(np.nanmean(ours))
            row[f"{kind}_n_failed"] = int((~np.isfinite(ours)).sum())
            row[f"ci_{kind}_vs_published"] = paired_bootstrap_ci(ours - theirs, n_boot=n_boot,
                                                                  seed=seed)
            if kind == "tumorgrowth_recipe":  # how closely the port reproduces each record
                d = np.abs(ours - theirs)
                row["tumorgrowth_recipe_median_abs_diff_vs_published"] = float(np.nanmedian(d))
                row["tumorgrowth_recipe_within_1pct_of_published"] = float(
                    np.mean(d <= 0.01 * np.abs(theirs)))
        out["laws"][law] = row
    return out


def _write_json(obj: dict[str, Any], path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2))
    tmp.replace(path)
