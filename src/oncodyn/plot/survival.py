"""Kaplan–Meier plots of a simulated cohort (PFS, OS), with the numbers at risk.

Drawn by :func:`oncodyn.plot.trials.km_by_arm` (one implementation of the KM plot with its
at-risk table; statsmodels ``SurvfuncRight`` estimates), here by subgroup of one cohort: all
patients, or by a column of the patients table (best response, ECOG, ...). Research and teaching
software: simulated patients, not a prognosis for a person.
"""

from __future__ import annotations

from typing import Any

ENDPOINTS = ("pfs", "os")


def km_plot(patients: Any, *, endpoint: str = "os", by: str | None = None, ax: Any = None,
            step_months: float = 3.0) -> Any:
    """Kaplan–Meier curve(s) of ``endpoint`` ("pfs" or "os") with numbers at risk.

    ``patients``: a :class:`oncodyn.simulate.SimulationResult` or its ``patients_frame()``
    (columns ``<endpoint>_days``, ``<endpoint>_event`` and ``by`` if given). One curve for all
    patients, or one per level of column ``by``. Returns the Axes.
    """
    from ..errors import ConfigError
    from .trials import km_by_arm

    if endpoint not in ENDPOINTS:
        raise ConfigError(f"endpoint {endpoint!r} not allowed; allowed: {', '.join(ENDPOINTS)}")
    df = patients.patients_frame() if hasattr(patients, "patients_frame") else patients
    for col in (f"{endpoint}_days", f"{endpoint}_event", *([by] if by else [])):
        if col not in df.columns:
            raise ConfigError(f"patients table has no column {col!r}")
    df = df.assign(arm=df[by].astype(str) if by else "all patients")
    arms = sorted(df["arm"].unique()) if by else ["all patients"]
    if ax is None:  # room for one at-risk row per curve under the axes
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7.0, 4.2 + 0.45 * len(arms)))
    ax = km_by_arm(df, endpoint=endpoint, arms=arms, ax=ax, step_months=step_months)
    ax.set_xlabel("months from day 0 (start of treatment)")
    return ax
