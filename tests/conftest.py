"""Shared fixtures. Real data live in ``../shared`` beside the repository, never in it.

When ``CI=true`` and the shared files are missing, tests that need them FAIL (not skip).

Property tests (hypothesis) decide nothing by chance: the default profile ``"ci"`` (also what
``CI=true`` runs) is derandomised (a fixed seed per test), keeps no example database and runs 50
examples per test unless a test says otherwise. ``ONCODYN_HYPOTHESIS_PROFILE=explore`` selects
the ``"explore"`` profile: random seeds, 1,000 examples, the local ``.hypothesis`` database;
every failing example it prints goes into the test as an explicit ``@example``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ONCODYN_SHARED", REPO.parent / "shared"))
# the simulator finds the POPLAR baseline file through $ONCODYN_SHARED when oncodyn is installed
# from a clone (non-editable): tests see the calibrated preset, as a developer's checkout does
os.environ.setdefault("ONCODYN_SHARED", str(SHARED))

settings.register_profile("ci", derandomize=True, database=None, max_examples=50, deadline=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", derandomize=False, max_examples=1000, deadline=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
_PROFILE = os.environ.get("ONCODYN_HYPOTHESIS_PROFILE", "ci")
if _PROFILE not in ("ci", "explore"):
    raise pytest.UsageError(f"ONCODYN_HYPOTHESIS_PROFILE must be 'ci' or 'explore' (got {_PROFILE!r})")
if os.environ.get("CI", "").lower() == "true" and _PROFILE != "ci":
    _PROFILE = "ci"  # CI decides by fixed examples only
settings.load_profile(_PROFILE)


def _require(path: Path) -> Path:
    if not path.exists():
        msg = f"shared file missing: {path} (tests read real data from ../shared)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ``../shared`` folder (fails under CI=true when missing)."""
    return _require(SHARED)


@pytest.fixture(scope="session")
def shared_file():
    """Factory: ``shared_file("data/laleh2022/flat_patient_data.csv")`` -> Path, or fail/skip."""

    def get(relative: str) -> Path:
        return _require(SHARED / relative)

    return get
