"""RECIST input on disk -> canonical frames (lesions, assessments, subjects)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def load_recist_input(path: Path, fmt: str = "auto", evaluator: str | None = None) -> dict[str, Any]:
    """Load a canonical lesion file/folder or an SDTM folder (see ``oncodyn recist --help``)."""
    from ..cli.recist import load_input  # moved here at integration

    return load_input(Path(path), fmt, evaluator)
