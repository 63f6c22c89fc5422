"""``oncodyn report``: read lesion data, evaluate RECIST, forecast, write one patient's report."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError, DataError
from .case import CaseForecast, case_facts, case_html, case_pdf


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


def forecast_for_case(result: Any, subject: str) -> tuple[CaseForecast | None, str | None]:
    """The next-scan forecast of one subject, or ``(None, reason)`` when none can be made."""
    from ..inference.case_forecast import next_scan_forecast

    tp = result.timepoints
    tp = tp[(tp["subject_id"].astype(str) == str(subject)) & tp["sod_mm"].notna()]
    days = tp["day"].to_numpy(float)
    sod = tp["sod_mm"].to_numpy(float)
    if len(days) < 2:
        return None, "fewer than two scans with a sum of target diameters"
    try:
        return next_scan_forecast(days - days[0], sod), None
    except (DataError, ValueError) as exc:
        return None, str(exc)
