"""The report of ``oncodyn fit``: JSON-ready dict and Markdown, from the load and fit results.

Pure functions of their inputs (no files, no plotting): :func:`fit_report` gathers the data
accounting (rows read, loaded, dropped by reason; series fitted), the model with its parameters
and sources, the options, the per-series status counts, the parameters flagged as not identified
by the data, and, for a population fit, its estimates; :func:`fit_report_markdown` renders it.

oncodyn is research and teaching software, not a clinical decision tool; the report says so.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

DISCLAIMER = ("Research and teaching software, not a clinical decision tool: these are "
              "statistical fits of a tumour-size model to measurements, not a prognosis.")


def _num(x: Any) -> Any:
    """JSON value: finite floats, ints, None for NaN/inf."""
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    try:
        v = float(x)
    except (TypeError, ValueError):
        return x
    return v if math.isfinite(v) else None


def series_label(key: Any) -> str:
    """Readable series id: the non-missing parts of a (study, subject, series) key joined by
    '/'."""
    if isinstance(key, tuple):
        return "/".join(str(k) for k in key if not _missing(k))
    return str(key)


def _missing(x: Any) -> bool:
    """None, NaN or pandas' NA."""
    try:
        return x is None or bool(x != x)
    except TypeError:  # pd.NA != pd.NA is NA, whose truth value is ambiguous
        return True


def model_section(model: Any) -> dict[str, Any]:
    """Name, kind, reference and parameters (unit, default, bounds, transform, source)."""
    return {"name": model.name, "kind": model.kind, "reference": model.reference,
            "parameters": [{"name": p.name, "unit": p.unit, "default": _num(p.default),
                            "lower": _num(p.lower), "upper": _num(p.upper),
                            "transform": p.transform, "source": p.source}
                           for p in model.parameters]}


def data_section(load_report: Any, n_series_fitted: int, observable: str) -> dict[str, Any]:
    """Data accounting: every source row is loaded or dropped with a reason."""
    rep = load_report
    return {"file": rep.file, "format": rep.format, "rows_read": rep.rows_read,
            "rows_loaded": rep.rows_loaded, "rows_dropped": rep.rows_dropped,
            "dropped_by_reason": rep.dropped_by_reason, "changed_by_reason": rep.changed_by_reason,
            "series": rep.n_series, "series_fitted": n_series_fitted,
            "observable": observable, "notes": list(rep.notes),
            "policy": rep.policy.to_dict()}


def fit_section(result: Any) -> dict[str, Any]:
    """Status counts, flagged parameters (per parameter: count and series), estimates summary."""
    status = Counter(s.value for s in result.status)
    flagged: dict[str, list[str]] = {}
    unident = getattr(result, "unidentified", ()) or ()
    for key, names in zip(result.ids, unident, strict=False):
        for name in names:
            flagged.setdefault(name, []).append(series_label(key))
    ok = np.array([s.value in ("converged", "not_identifiable") for s in result.status])
    summary = {}
    for j, name in enumerate(result.model.param_names):
        v = result.params[ok, j]
        v = v[np.isfinite(v)]
        summary[name] = ({"n": int(v.size), "median": _num(np.median(v)),
                          "q05": _num(np.quantile(v, 0.05)), "q95": _num(np.quantile(v, 0.95))}
                         if v.size else {"n": 0})
    return {"series": len(result), "status_counts": dict(sorted(status.items())),
            "non_identifiable": {k: {"count": len(v), "series": v}
                                 for k, v in sorted(flagged.items())},
            "parameter_summary": summary,
            "scale": result.scale, "error": result.error}


def population_section(pop: Any) -> dict[str, Any]:
    """Population estimates from ``PopulationFit.summary()`` (a dict), made JSON-ready."""
    summ = pop.summary() if hasattr(pop, "summary") else dict(pop)
    return _jsonable(summ)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, str) or obj is None:
        return obj
    return _num(obj)


def fit_report(load_report: Any, result: Any, *, options: dict[str, Any], observable: str,
               population: Any = None) -> dict[str, Any]:
    """The whole report as a JSON-ready dict (keys: disclaimer, data, model, options, fit,
    population when given)."""
    out = {"disclaimer": DISCLAIMER,
           "data": data_section(load_report, len(result), observable),
           "model": model_section(result.model),
           "options": _jsonable(options),
           "fit": fit_section(result)}
    if population is not None:
        out["population"] = population_section(population)
    return out


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    def cell(x: Any) -> str:
        if isinstance(x, float):
            return f"{x:.4g}"
        return "" if x is None else str(x).replace("|", "\\|")

    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + \
        ["| " + " | ".join(cell(x) for x in r) + " |" for r in rows]


def fit_report_markdown(report: dict[str, Any], *, max_listed: int = 20) -> str:
    """Markdown rendering of :func:`fit_report` (series lists cut at ``max_listed``, saying so)."""
    d, m, f = report["data"], report["model"], report["fit"]
    lines = [f"# oncodyn fit: {m['name']} on {d['file']}", "", f"> {report['disclaimer']}", "",
             "## Data", ""]
    lines += _table(["item", "value"], [
        ["format", d["format"]], ["rows read", d["rows_read"]], ["rows loaded", d["rows_loaded"]],
        ["rows dropped", d["rows_dropped"]], ["series", d["series"]],
        ["series fitted", d["series_fitted"]], ["observable", d["observable"]]])
    if d["dropped_by_reason"]:
        lines += ["", "Dropped rows by reason:", ""]
        lines += _table(["reason", "rows"], [[k, v] for k, v in d["dropped_by_reason"].items()])
    for note in d["notes"]:
        lines.append(f"- note: {note}")
    lines += ["", "## Model", "", f"`{m['name']}` ({m['kind']}): {m['reference']}", ""]
    lines += _table(["parameter", "unit", "default", "transform", "source"],
                    [[p["name"], p["unit"], p["default"], p["transform"], p["source"]]
                     for p in m["parameters"]])
    lines += ["", "## Options", ""]
    lines += _table(["option", "value"], [[k, v] for k, v in report["options"].items()])
    lines += ["", "## Fit", "", f"Residual scale {f['scale']}, error model {f['error']}.", ""]
    lines += _table(["status", "series"], [[k, v] for k, v in f["status_counts"].items()])
    lines += ["", "Parameter estimates over fitted series (converged or not identifiable):", ""]
    lines += _table(["parameter", "n", "median", "5%", "95%"],
                    [[k, v.get("n"), v.get("median"), v.get("q05"), v.get("q95")]
                     for k, v in f["parameter_summary"].items()])
    lines += ["", "## Parameters not identified by the data", ""]
    if not f["non_identifiable"]:
        lines.append("None flagged.")
    else:
        lines.append("These series have status `not_identifiable`: their curves fit, but the "
                     "named parameter is not determined by the points (see the `message` column "
                     "of parameters.csv). Do not read those values as estimates.")
        lines.append("")
        for name, info in f["non_identifiable"].items():
            shown = info["series"][:max_listed]
            more = info["count"] - len(shown)
            lines.append(f"- `{name}`: {info['count']} series: " + ", ".join(shown)
                         + (f" ... and {more} more" if more > 0 else ""))
    if "population" in report:
        lines += ["", "## Population fit", ""]
        lines += _population_markdown(report["population"])
    return "\n".join(lines) + "\n"


def _population_markdown(pop: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    scalars = [[k, v] for k, v in pop.items() if not isinstance(v, (dict, list))]
    if scalars:
        lines += _table(["quantity", "value"], scalars)
    for k, v in pop.items():
        if isinstance(v, dict) and v and all(not isinstance(x, (dict, list)) for x in v.values()):
            lines += ["", f"{k}:", ""] + _table(["name", "value"], [[a, b] for a, b in v.items()])
        elif isinstance(v, dict) and v and all(isinstance(x, dict) for x in v.values()):
            cols = sorted({c for x in v.values() for c in x})
            lines += ["", f"{k}:", ""] + _table(["name", *cols],
                                                [[a, *(b.get(c) for c in cols)]
                                                 for a, b in v.items()])
        elif isinstance(v, list) and v and all(isinstance(x, list) for x in v):
            lines += ["", f"{k}:", ""] + [f"    {row}" for row in v]
        elif isinstance(v, list) and v and all(isinstance(x, str) for x in v):
            lines += ["", f"{k}:", ""] + [f"- {x}" for x in v]
    return lines
