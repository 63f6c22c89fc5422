"""Shared fixtures. Real data live in ``../shared`` beside the repository, never in it.

When ``CI=true`` and the shared files are missing, tests that need them FAIL (not skip).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ONCODYN_SHARED", REPO.parent / "shared"))


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
