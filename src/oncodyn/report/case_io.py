"""``oncodyn report``: read lesion data, evaluate RECIST, forecast, write one patient's report."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DataError
from ..population.next_scan import NextScanForecast
from .case import case_facts, case_html, case_pdf


def write_case_report(input_path: str | os.PathLike, subject: str, out: str | os.PathLike, *,
                      lang: str = "en", fmt: str = "html", force: bool = False) -> Path:
    """Write the case report of ``subject`` to ``out`` (HTML or PDF), atomically.

    Raises
    ------
    ConfigError
        ``out`` exists and ``force`` is False, or its folder does not exist.
    DataError
        Unreadable input, or ``subject`` not in the data (the message lists a few ids).
    """
    from ..data.recist_input import load_recist_input
    from ..data.writers import write_atomic
    from ..recist import evaluate

    out = Path(out)
    if out.exists() and (out.is_dir() or not force):
        raise ConfigError(f"{out} exists (use --force to replace a file)")
    if not out.parent.is_dir():
        raise ConfigError(f"folder {out.parent} does not exist")
    data = load_recist_input(Path(input_path))
    result = evaluate(data["lesions"], assessments=data["assessments"],
                      subjects=data["subjects"])
    ids = result.best_response["subject_id"].astype(str).tolist()
    if str(subject) not in ids:
        shown = ", ".join(ids[:8]) + (", ..." if len(ids) > 8 else "")
        raise DataError(f"subject {subject!r} not found (subjects: {shown})",
                        file=str(input_path))
    facts = case_facts(result, subject)
    forecast, why = forecast_for_case(result, subject)
    if fmt == "html":
        payload = case_html(facts, lang, forecast, why).encode("utf-8")
    elif fmt == "pdf":
        payload = case_pdf(facts, lang, forecast, why)
    else:
        raise ConfigError(f"format must be html or pdf, got {fmt!r}")
    write_atomic(out, lambda fh: fh.write(payload))
    return out


def cohort_sums(result: Any) -> tuple[list[str], list[Any], list[Any]]:
    """Per subject of a RECIST result: days (baseline at day 0) and sums of target diameters."""
    import numpy as np

    tp = result.timepoints
    tp = tp[tp["performed"].astype(bool)] if "performed" in tp.columns else tp
    ids, days, sums = [], [], []
    for sid, g in tp.groupby(tp["subject_id"].astype(str), sort=False):
        base = g["baseline_sod_mm"].dropna()
        if base.empty:
            continue
        ids.append(sid)
        days.append(np.r_[0.0, g["day"].to_numpy(float)])
        sums.append(np.r_[float(base.iloc[0]), g["sod_mm"].to_numpy(float)])
    return ids, days, sums


def forecast_for_case(result: Any, subject: str, population: Any = None
                      ) -> tuple[NextScanForecast | None, str | None]:
    """The next-scan forecast of one subject, or ``(None, reason)`` when none can be made.

    ``population``: a fitted :class:`oncodyn.population.PopulationFit` of the cohort's sums
    (fitted here from ``result`` when None; see :mod:`oncodyn.population.next_scan`).
    """
    from ..population.next_scan import cohort_population, next_scan

    ids, days, sums = cohort_sums(result)
    if str(subject) not in ids:
        return None, "no sum of target diameters for this patient"
    k = ids.index(str(subject))
    try:
        if population is None:
            population = cohort_population(ids, days, sums)
        return next_scan(population, days[k], sums[k]), None
    except (DataError, ValueError) as exc:
        return None, str(exc)
