"""Plotting (matplotlib, imported lazily inside each function; "Agg" backend by default).

Every function takes ``ax=None`` (a new figure is made when omitted) and returns the Axes.
Importing :mod:`oncodyn.plot` does not import matplotlib or pandas.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "spider": "recist",
    "waterfall": "recist",
    "swimmer": "recist",
    "BOR_COLORS": "recist",
    "fit_panel": "fits",
    "forecast_errors": "fits",
    "vpc": "population",
    "obs_vs_pred": "population",
    "npde_vs_time": "population",
    "individual_fit": "population",
    "individual_fits": "population",
    "saem_trace": "population",
    "ARM_COLORS": "treatment",
    "cohort_bands": "treatment",
    "course_spans": "treatment",
    "patient_regrowth": "treatment",
    "symptom_stack": "treatment",
    "treatment_shading": "treatment",
    "plain_ticks": "treatment",
    "burden_plot": "treatment",
    "cohort_symptoms": "treatment",
    "radiotherapy_spans": "treatment",
    "simulation_figures": "treatment",
    "km_plot": "survival",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
