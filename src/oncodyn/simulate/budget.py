"""Memory needed by a simulation, estimated before it starts (so a huge run is refused at once).

The simulator keeps, per patient and grid step, the tumour burden, the treatment state and the
frames written by ``oncodyn simulate`` (trajectories, symptom scores), and per scan the lesion
measurements. Its peak memory therefore grows like ``n_patients x n_steps``. The coefficient
:data:`BYTES_PER_PATIENT_STEP` is measured, not derived: ``/usr/bin/time -v oncodyn simulate
nsclc_docetaxel --patients 100000 --seed 1 --no-plots`` peaked at 3.62 GB for 100,000 patients x
105 weekly steps, i.e. 344 bytes per patient-step; the constant rounds that up to 400 to leave a
margin for other presets (more lesions, radiotherapy) and allocator slack.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import ConfigError

__all__ = ["BYTES_PER_PATIENT_STEP", "BASE_BYTES", "check_memory", "memory_estimate",
           "physical_memory"]

#: Peak bytes per patient and grid step with ``keep="all"`` (measured, see the module docstring).
BYTES_PER_PATIENT_STEP = 400
#: Fixed overhead of the interpreter and libraries, bytes (measured: about 0.3 GB at start).
BASE_BYTES = 300 * 1024**2


def memory_estimate(scenario: Any, n_patients: int) -> int:
    """Estimated peak memory (bytes) of ``oncodyn simulate`` for ``n_patients`` of ``scenario``.

    ``n_steps = horizon_days // dt_days + 1``; estimate ``BASE_BYTES + n_patients x n_steps x
    BYTES_PER_PATIENT_STEP`` (an upper estimate for the presets).
    """
    n_steps = int(scenario.horizon_days) // int(scenario.dt_days) + 1
    return BASE_BYTES + int(n_patients) * n_steps * BYTES_PER_PATIENT_STEP


def physical_memory() -> int | None:
    """Total physical memory of this machine in bytes (None where the OS does not say)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - non-POSIX
        return None


def check_memory(scenario: Any, n_patients: int, *, limit: int | None = None) -> int:
    """Refuse, before any work, a simulation whose estimated memory exceeds ``limit``.

    Parameters
    ----------
    scenario
        A :class:`oncodyn.patients.config.Scenario`.
    n_patients
        Cohort size.
    limit
        Bytes allowed; default: this machine's physical memory (:func:`physical_memory`; no
        check when unknown).

    Returns
    -------
    int
        The estimate (bytes).

    Raises
    ------
    ConfigError
        The estimate exceeds ``limit``; the message gives both figures and the largest cohort
        that fits.
    """
    need = memory_estimate(scenario, n_patients)
    limit = physical_memory() if limit is None else int(limit)
    if limit is not None and need > limit:
        n_steps = int(scenario.horizon_days) // int(scenario.dt_days) + 1
        fits = max((limit - BASE_BYTES) // (n_steps * BYTES_PER_PATIENT_STEP), 0)
        raise ConfigError(
            f"{n_patients:,} patients over {scenario.horizon_days:,} days ({n_steps:,} steps) need "
            f"about {need / 1024**3:,.1f} GiB of memory ({BYTES_PER_PATIENT_STEP} bytes per "
            f"patient-step, measured), more than this machine's {limit / 1024**3:,.1f} GiB; "
            f"use at most {fits:,} patients per run (split a larger cohort over seeds)")
    return need
