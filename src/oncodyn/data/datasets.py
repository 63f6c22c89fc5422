"""Readers for the public Laleh et al. (2022) tumour-size data sets, and format auto-detection.

Source: Ghaffari Laleh N et al. (2022) "Classical mathematical models for prediction of response
to chemotherapy and immunotherapy", PLOS Comput Biol 18(2): e1009822, S1 Data (longest diameter
of the first investigator target lesion, ``INV-T001``, of patients in four Roche atezolizumab
trials), and its restructured copy in TumorGrowth.jl (Blaom & Okon 2025, arXiv:2502.07964).
Both formats are described in ``shared/data/laleh2022/README-*.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import pandas as pd

from ..errors import ConfigError, DataError
from ._clean import CleanSpec, Field, cell_text, clean
from ._policy import CleaningPolicy
from ._raw import RawTable, read_raw
from .readers import generic_spec
from .report import LoadResult

#: Series id of the Laleh data: the first investigator target lesion (README-s1-format.md).
LALEH_SERIES = "INV-T001"
S1_COLUMNS = ("Patient_Anonmyized", "Treatment_Day", "TargetLesionLongDiam_mm", "Study_Arm")
FLAT_COLUMNS = ("Pt_hashID", "Study_id", "Arm_id", "T_days", "Lesion_diam")
#: TumorGrowth.jl columns kept as covariates, output name -> source column.
FLAT_COVARIATES = {"t_weeks": "T_weeks", "volume": "Lesion_vol", "normvol": "Lesion_normvol",
                   "response": "response", "readings": "readings"}
FORMATS = ("generic", "laleh-s1", "tumorgrowth")


def _policy(policy: CleaningPolicy | None) -> CleaningPolicy:
    policy = CleaningPolicy() if policy is None else policy
    if not isinstance(policy, CleaningPolicy):
        raise ConfigError(f"policy must be a CleaningPolicy, got {type(policy).__name__}")
    return policy


def _require(raw: RawTable, needed: tuple[str, ...], what: str) -> None:
    missing = [c for c in needed if c not in raw.header]
    if missing:
        raise DataError(f"not a {what} file: column(s) {missing} missing; header has "
                        f"{list(raw.header)}", file=raw.file, row=1, column=missing[0])


def _s1_spec(raw: RawTable, policy: CleaningPolicy) -> CleanSpec:
    _require(raw, S1_COLUMNS, "Laleh 2022 S1")
    parts = pd.Series(cell_text(raw.data["Study_Arm"]), dtype=object).str.strip() \
        .str.extract(r"^Study_(\d+)_Arm_(\d+)$")
    ok = parts[0].notna().to_numpy()
    n = len(raw.data)
    fields = {
        "study": Field("Study_Arm", pd.Series(parts[0].fillna("").to_numpy(), dtype=object)),
        "arm": Field("Study_Arm", pd.Series(parts[1].fillna("").to_numpy(), dtype=object)),
        "subject": Field("Patient_Anonmyized"),
        "series": Field("series", pd.Series([LALEH_SERIES] * n, dtype=object)),
        "time": Field("Treatment_Day"),
        "size": Field("TargetLesionLongDiam_mm"),
    }
    return CleanSpec(fields=fields, covariates={}, policy=policy, format="laleh-s1",
                     required_ok=ok,
                     notes=["study and arm parsed from Study_Arm ('Study_<s>_Arm_<a>'); "
                            f"series id {LALEH_SERIES!r} (first investigator target lesion)"])


def _flat_spec(raw: RawTable, policy: CleaningPolicy) -> CleanSpec:
    _require(raw, FLAT_COLUMNS + tuple(FLAT_COVARIATES.values()), "TumorGrowth.jl flat_patient_data")
    fields = {
        "study": Field("Study_id"),
        "arm": Field("Arm_id"),
        "subject": Field("Pt_hashID"),
        "series": Field("series", pd.Series([LALEH_SERIES] * len(raw.data), dtype=object)),
        "time": Field("T_days"),
        "size": Field("Lesion_diam"),
    }
    return CleanSpec(fields=fields, covariates=dict(FLAT_COVARIATES), policy=policy,
                     format="tumorgrowth-flat",
                     notes=["time from T_days (days); T_weeks kept as covariate t_weeks; "
                            f"series id {LALEH_SERIES!r} (first investigator target lesion)"])


def read_laleh_s1(path: str | Path, *, policy: CleaningPolicy | None = None,
                  format: Literal["csv", "parquet"] | None = None) -> LoadResult:
    """Read the raw S1 Data of Laleh et al. (2022) (CSV form of ``journal.pcbi.1009822.s006.xlsx``).

    Columns ``sheet, Patient_Anonmyized, Treatment_Day, TargetLesionLongDiam_mm, Study_Arm``
    (the sheets stacked). The series key is ``(study, subject, series)`` with ``study`` and
    ``arm`` the two numbers of ``Study_Arm`` (as text, e.g. ``"4"``, ``"1"``), ``subject`` the
    patient id kept as text (all 17-20 characters, sign included), ``series`` ``"INV-T001"``;
    ``time`` is ``Treatment_Day`` (days), ``size`` the longest diameter in mm. Text codes
    (``NOT EVALUABLE``, ``TOO SMALL TO MEASURE``, blank) follow ``policy``.

    Parameters
    ----------
    path : str or Path
        CSV or Parquet file with those columns.
    policy : CleaningPolicy, optional
        Default ``CleaningPolicy()``.
    format : {"csv", "parquet"}, optional
        Default: from the suffix.

    Returns
    -------
    LoadResult
    """
    raw = read_raw(path, format)
    return clean(raw, _s1_spec(raw, _policy(policy)))


def read_tumorgrowth_flat(path: str | Path, *, policy: CleaningPolicy | None = None,
                          format: Literal["csv", "parquet"] | None = None) -> LoadResult:
    """Read TumorGrowth.jl's ``flat_patient_data.csv`` (Laleh et al. 2022 data, restructured).

    ``subject`` = ``Pt_hashID``, ``study`` = ``Study_id``, ``arm`` = ``Arm_id``, ``series`` =
    ``"INV-T001"``, ``time`` = ``T_days`` (days), ``size`` = ``Lesion_diam`` (mm); covariates
    ``t_weeks`` (``T_weeks``), ``volume`` (``Lesion_vol``, mm^3), ``normvol``
    (``Lesion_normvol``), ``response`` and ``readings`` (the source's per-series row count).

    Parameters
    ----------
    path : str or Path
        CSV or Parquet file with those columns.
    policy : CleaningPolicy, optional
        Default ``CleaningPolicy()``.
    format : {"csv", "parquet"}, optional
        Default: from the suffix.

    Returns
    -------
    LoadResult
    """
    raw = read_raw(path, format)
    return clean(raw, _flat_spec(raw, _policy(policy)))


def detect_format(header: tuple[str, ...] | list[str], *,
                  file: str | None = None) -> Literal["generic", "laleh-s1", "tumorgrowth"]:
    """Name the format of a file from its column names.

    ``"laleh-s1"`` when all S1 columns are present, ``"tumorgrowth"`` for TumorGrowth.jl's flat
    file, ``"generic"`` when ``subject``, ``time`` and ``size`` columns are present.

    Raises
    ------
    DataError
        When no format matches.
    """
    cols = set(header)
    if set(S1_COLUMNS) <= cols:
        return "laleh-s1"
    if set(FLAT_COLUMNS) <= cols:
        return "tumorgrowth"
    if {"subject", "time", "size"} <= cols:
        return "generic"
    raise DataError(f"unknown format: header {list(header)} is neither the Laleh 2022 S1 format "
                    f"({list(S1_COLUMNS)}), TumorGrowth.jl's flat format ({list(FLAT_COLUMNS)}) "
                    "nor a generic table with subject, time and size columns", file=file, row=1)


def read_any(path: str | Path, *, format: str = "auto", policy: CleaningPolicy | None = None,
             columns: Mapping[str, str] | None = None, time_unit: str = "day",
             size_unit: str = "mm") -> LoadResult:
    """Read ``path`` in the named ``format`` (``"auto"`` detects it from the header).

    ``columns``, ``time_unit`` and ``size_unit`` apply to the generic format only.
    """
    policy = _policy(policy)
    if format not in ("auto",) + FORMATS:
        raise ConfigError(f"format must be one of {('auto',) + FORMATS}, got {format!r}")
    raw = read_raw(path)
    fmt = format
    if fmt == "auto":
        fmt = detect_format(raw.header, file=raw.file)
    if fmt == "laleh-s1":
        spec = _s1_spec(raw, policy)
    elif fmt == "tumorgrowth":
        spec = _flat_spec(raw, policy)
    else:
        spec = generic_spec(raw, columns=columns, policy=policy, time_unit=time_unit,
                            size_unit=size_unit, covariates=None)
    return clean(raw, spec)


