"""RECIST input on disk -> canonical frames (lesions, assessments, subjects).

One reader for every command that evaluates RECIST (``oncodyn recist``, ``oncodyn report``):
a canonical lesion file, a folder with ``lesions.*`` (and ``assessments.*``, ``subjects.*``), or
an SDTM folder with ``tu.*`` + ``tr.*`` (and ``dm.*``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ConfigError, DataError

_SUFFIXES = (".csv", ".parquet", ".pq")


def _pick(folder: Path, stem: str) -> Path | None:
    for suffix in _SUFFIXES:
        p = folder / f"{stem}{suffix}"
        if p.exists():
            return p
    return None


def load_recist_input(path: Path, fmt: str = "auto", evaluator: str | None = None,
               sdtm_options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Load INPUT as canonical frames: ``lesions``, ``assessments``, ``subjects``, ``notes``,
    ``files`` (what was read) and ``format``; for SDTM also ``findings`` (record-level:
    imputed dates, study-day disagreements), ``no_tumour_data`` (DM subjects without tumour
    records) and ``studyid`` (from the files). ``sdtm_options``: keyword options of
    :func:`oncodyn.data.cdisc.from_sdtm`.

    ``canonical``: a lesion file, or a folder with ``lesions.*`` and optional
    ``assessments.*``/``subjects.*``. ``sdtm``: a folder with ``tu.*``, ``tr.*``, optional
    ``dm.*``. ``auto`` decides from what is there.
    """
    from . import cdisc
    from .lesions import read_assessments, read_lesions, read_subjects

    if fmt not in ("auto", "canonical", "sdtm"):
        raise ConfigError(f"--format must be auto, canonical or sdtm (got {fmt!r})")
    if not path.exists():
        raise FileNotFoundError(2, "No such file", str(path))
    if fmt == "auto":
        if path.is_dir():
            fmt = "sdtm" if cdisc._find(path, "tu") and cdisc._find(path, "tr") else "canonical"
        else:
            fmt = "canonical"
    if fmt == "sdtm":
        if not path.is_dir():
            raise DataError("SDTM input must be a folder holding tu.* and tr.* (and dm.*)",
                            file=str(path))
        t = cdisc.read_sdtm(path, evaluator=evaluator, **(sdtm_options or {}))
        return {"format": "sdtm", "lesions": t.lesions, "assessments": t.assessments,
                "subjects": t.subjects, "notes": list(t.notes),
                "files": {"lesions": str(cdisc._find(path, "tr"))}, "findings": t.findings,
                "no_tumour_data": t.no_tumour_data, "studyid": t.studyid}
    files: dict[str, str] = {}
    if path.is_dir():
        les = _pick(path, "lesions")
        if les is None:
            raise DataError("folder has no lesions.csv / lesions.parquet (canonical input) "
                            "nor tu.* + tr.* (SDTM input)", file=str(path))
        files["lesions"] = str(les)
        asm, sub = _pick(path, "assessments"), _pick(path, "subjects")
    else:
        les, asm, sub = path, None, None
        files["lesions"] = str(path)
    out = {"format": "canonical", "lesions": read_lesions(les), "assessments": None,
           "subjects": None, "notes": [], "files": files}
    if asm is not None:
        out["assessments"] = read_assessments(asm)
        files["assessments"] = str(asm)
    if sub is not None:
        out["subjects"] = read_subjects(sub)
        files["subjects"] = str(sub)
    return out
