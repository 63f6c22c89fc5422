"""Convert a test case of the spec (``recist_cases.json``, docs/recist.md#r13) to canonical frames."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..errors import DataError

CASE_KEYS = ("id", "title", "description", "rules", "unsure", "unsure_reason", "kind", "options",
             "subject", "lesions", "assessments", "measurements", "expected")


def case_frames(case: Mapping[str, Any]) -> dict[str, pd.DataFrame | dict]:
    """Frames of one case: ``lesions``, ``assessments``, ``subjects`` and the ``options`` dict."""
    for key in ("subject", "lesions", "assessments", "measurements"):
        if key not in case:
            raise DataError(f"case {case.get('id', '?')} has no {key!r}", column=key)
    sid = str(case["subject"]["subject_id"])
    info = {str(x["lesion_id"]): x for x in case["lesions"]}
    asm = {int(a["tp"]): a for a in case["assessments"]}
    rows = []
    for i, m in enumerate(case["measurements"]):
        lid = str(m["lesion_id"])
        if lid not in info:
            raise DataError(f"measurement of unknown lesion {lid!r}", row=i, column="lesion_id")
        parent = m.get("parent_lesion_id") or info[lid].get("parent_lesion_id")
        lx = info.get(lid) or info.get(parent)
        a = asm.get(int(m["tp"]), {})
        rows.append({
            "subject_id": sid, "tp": int(m["tp"]), "date": a.get("date"),
            "day": a.get("day_offset"), "lesion_id": lid, "role": lx.get("role"),
            "organ": lx.get("organ", ""), "nodal": bool(lx.get("nodal", False)),
            "method": lx.get("method") or "CT", "slice_mm": lx.get("slice_mm"),
            "ld_mm": m.get("ld_mm"), "sa_mm": m.get("sa_mm"), "state": m.get("state") or "",
            "into": m.get("into") or "", "parent_lesion_id": parent or "",
        })
    lesions = pd.DataFrame(rows)
    assessments = pd.DataFrame([{
        "subject_id": sid, "tp": int(a["tp"]), "date": a.get("date"),
        "day": a.get("day_offset"), "performed": bool(a.get("performed", True)),
        "label": a.get("label") or ""} for a in case["assessments"]])
    s = case["subject"]
    subjects = pd.DataFrame([{k: s.get(k) for k in (
        "subject_id", "reference_date", "death_date", "new_anticancer_therapy_date",
        "symptomatic_deterioration_date")}])
    subjects["subject_id"] = subjects["subject_id"].astype(str)
    return {"lesions": lesions, "assessments": assessments, "subjects": subjects,
            "options": dict(case.get("options") or {})}


def evaluate_case(case: Mapping[str, Any], options: Mapping[str, Any] | None = None,
                  engine: str = "auto"):
    """Evaluate one spec case; ``options`` (if given) update the case's own options."""
    from .engine import evaluate

    f = case_frames(case)
    opts = dict(f["options"])
    opts.update(options or {})
    return evaluate(f["lesions"], assessments=f["assessments"], subjects=f["subjects"],
                    options=opts, engine=engine)
