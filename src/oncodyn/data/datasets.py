"""Readers for the public Laleh et al. (2022) tumour-size data sets, and format auto-detection.

Source: Ghaffari Laleh N et al. (2022) "Classical mathematical models for prediction of response
to chemotherapy and immunotherapy", PLOS Comput Biol 18(2): e1009822, S1 Data (longest diameter
of the first investigator target lesion, ``INV-T001``, of patients in four Roche atezolizumab
trials), and its restructured copy in TumorGrowth.jl (Blaom & Okon 2025, arXiv:2502.07964).
Both formats are described in docs/data-formats.md#layouts.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from ._clean import CleanSpec, Field, cell_text, clean, parse_numbers
from ._nested import explode_nested, looks_nested
from ._policy import CleaningPolicy
from ._raw import RawTable, read_raw
from .readers import generic_spec
from .report import LoadResult

#: Series id of the Laleh data: the first investigator target lesion (docs/data-formats.md#layouts).
LALEH_SERIES = "INV-T001"
S1_COLUMNS = ("Patient_Anonmyized", "Treatment_Day", "TargetLesionLongDiam_mm", "Study_Arm")

# ---- TumorGrowth.jl format: ONE set of column names, used by every reader and the benchmarks --
#: Series id column of TumorGrowth.jl's tables (32-hex hash + ``-S<study>``).
TG_ID = "Pt_hashID"
#: Time columns, in order of preference, with their unit. ``T_weeks`` is TumorGrowth.jl's
#: ``ceil(T_days / 7)`` with values <= 0 set to 0.1 (see :func:`tumorgrowth_weeks`).
TG_TIME = {"T_days": "day", "T_weeks": "week"}
#: Size columns, in order of preference: longest diameter (mm), sphere-like volume
#: ``0.52 d^3`` (mm^3), and that volume divided by :data:`TG_NORMVOL_DIVISOR`.
TG_SIZE = ("Lesion_diam", "Lesion_vol", "Lesion_normvol")
#: Optional id columns (study and arm numbers).
TG_STUDY, TG_ARM = "Study_id", "Arm_id"
#: Volume factor of TumorGrowth.jl / Laleh et al. 2022: ``Lesion_vol = 0.52 * Lesion_diam**3``
#: (0.52 ~ pi/6; docs/data-formats.md#layouts, checked exact on every row).
TG_VOLUME_FACTOR = 0.52
#: ``Lesion_normvol = Lesion_vol / 6163223.04`` = ``0.52 * 228**3``, 228 mm being the largest
#: diameter of the whole Laleh et al. 2022 data set (docs/data-formats.md#layouts, exact).
TG_NORMVOL_DIVISOR = 6163223.04
#: Columns that hold one list per series in the nested file ``patient_data.csv``.
TG_VECTOR_COLUMNS = ("T_weeks", "T_days", "Lesion_diam", "Lesion_vol", "Lesion_normvol")
#: Columns of the complete TumorGrowth.jl flat file (``flat_patient_data.csv``).
FLAT_COLUMNS = (TG_ID, TG_STUDY, TG_ARM, "T_days", "Lesion_diam")
#: TumorGrowth.jl columns kept as covariates, output name -> source column (when present).
FLAT_COVARIATES = {"t_weeks": "T_weeks", "volume": "Lesion_vol", "normvol": "Lesion_normvol",
                   "response": "response", "readings": "readings"}
FORMATS = ("generic", "laleh-s1", "tumorgrowth", "tumorgrowth-nested")
#: What to tell a user whose columns are not recognised.
MAP_HINT = ("map your columns with --map subject=COL,time=COL,size=COL (API: columns={...}; "
            "canonical names study, arm, subject, series, time, size, unit; "
            "docs/data-formats.md#layouts)")


def tumorgrowth_weeks(days: np.ndarray) -> np.ndarray:
    """TumorGrowth.jl's week of a scan: ``ceil(days / 7)``, values <= 0 replaced by 0.1.

    Laleh et al. 2022 ``Correct_Time_Vector`` (KatherLab/ImmunotherapyModels), reproduced on
    100% of ``flat_patient_data.csv`` (docs/data-formats.md#layouts).
    """
    w = np.ceil(np.asarray(days, float) / 7.0)
    return np.where(w <= 0, 0.1, w)


def tumorgrowth_normvol(diameter_mm: np.ndarray) -> np.ndarray:
    """TumorGrowth.jl's normalised volume ``0.52 d^3 / 6163223.04`` of a diameter in mm."""
    d = np.asarray(diameter_mm, float)
    return TG_VOLUME_FACTOR * d**3 / TG_NORMVOL_DIVISOR


def tumorgrowth_diameter(normvol: np.ndarray) -> np.ndarray:
    """Diameter in mm of TumorGrowth.jl's normalised volume: the inverse of
    :func:`tumorgrowth_normvol`, ``(v 6163223.04 / 0.52)^(1/3)``."""
    return np.cbrt(np.asarray(normvol, float) * TG_NORMVOL_DIVISOR / TG_VOLUME_FACTOR)


def tumorgrowth_columns(header: tuple[str, ...] | list[str], *,
                        file: str | None = None) -> dict[str, str]:
    """Source columns of a TumorGrowth.jl table: ``{"subject", "time", "size"}`` -> column.

    The one definition of the format's names (used by :func:`read_tumorgrowth_flat`,
    ``oncodyn data inspect``, ``oncodyn fit`` and the ``bench`` commands): ``Pt_hashID``, a time
    column (``T_days``, else ``T_weeks``) and a size column (``Lesion_diam``, else
    ``Lesion_vol``, else ``Lesion_normvol``); ``Study_id`` and ``Arm_id`` are optional.

    Raises
    ------
    DataError
        Naming the missing role and the header.
    """
    cols = set(header)
    time = next((c for c in TG_TIME if c in cols), None)
    size = next((c for c in TG_SIZE if c in cols), None)
    missing = [what for what, ok in ((TG_ID, TG_ID in cols), (" or ".join(TG_TIME), time),
                                     (" or ".join(TG_SIZE), size)) if not ok]
    if missing:
        raise DataError(f"not a TumorGrowth.jl file, missing column(s): {'; '.join(missing)}; the "
                        f"format needs {TG_ID}, a time column ({', '.join(TG_TIME)}) and a size "
                        f"column ({', '.join(TG_SIZE)}); header has {list(header)}. Other layouts: "
                        f"--format generic and {MAP_HINT}", file=file, row=1,
                        column=TG_ID if TG_ID not in cols else None)
    return {"subject": TG_ID, "time": str(time), "size": str(size)}


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
                     notes=[*raw.notes, "study and arm parsed from Study_Arm ('Study_<s>_Arm_<a>'); "
                            f"series id {LALEH_SERIES!r} (first investigator target lesion)"])


def _diameter_cells(raw: RawTable, column: str) -> pd.Series:
    """Diameters (mm, as text cells) from a TumorGrowth volume column; other cells unchanged.

    d = (V / 0.52)^(1/3), V = ``Lesion_vol`` or ``Lesion_normvol * 6163223.04``; rounded to
    1e-6 mm (the float noise of the cube root; TumorGrowth diameters are whole mm).
    """
    text = cell_text(raw.data[column])
    values, ok = parse_numbers(text)
    scale = TG_NORMVOL_DIVISOR if column == "Lesion_normvol" else 1.0
    with np.errstate(invalid="ignore"):
        d = np.round(np.cbrt(values * scale / TG_VOLUME_FACTOR), 6)
    use = ok & np.isfinite(d)
    return pd.Series(np.where(use, np.array([repr(float(x)) for x in d], dtype=object), text),
                     dtype=object)


def _flat_spec(raw: RawTable, policy: CleaningPolicy, *,
               format: str = "tumorgrowth-flat") -> CleanSpec:
    cols = tumorgrowth_columns(raw.header, file=raw.file)
    time_col, size_col = cols["time"], cols["size"]
    fields = {
        "subject": Field(TG_ID),
        "series": Field("series", pd.Series([LALEH_SERIES] * len(raw.data), dtype=object)),
        "time": Field(time_col),
        "size": Field(size_col) if size_col == "Lesion_diam" else
        Field(size_col, _diameter_cells(raw, size_col)),
    }
    notes = list(raw.notes)
    for canon, src in (("study", TG_STUDY), ("arm", TG_ARM)):
        if src in raw.header:
            fields[canon] = Field(src)
        else:
            notes.append(f"no {src} column: {canon} left empty")
    notes.append(f"time from {time_col} ({TG_TIME[time_col]}s); series id {LALEH_SERIES!r} "
                 "(first investigator target lesion)")
    if time_col == "T_weeks":
        notes.append("T_weeks is TumorGrowth.jl's ceil(T_days/7) with values <= 0 set to 0.1: "
                     "days recovered as 7 x T_weeks are approximate")
    if size_col != "Lesion_diam":
        notes.append(f"diameter (mm) computed from {size_col}: d = (V/0.52)^(1/3)"
                     + (f", V = {size_col} x {TG_NORMVOL_DIVISOR}" if size_col == "Lesion_normvol"
                        else "") + ", rounded to 1e-6 mm")
    covariates = {out: src for out, src in FLAT_COVARIATES.items() if src in raw.header}
    for extra in ("source_line", "reading"):  # provenance columns of the nested format
        if extra in raw.header and format == "tumorgrowth-nested":
            covariates[extra] = extra
    return CleanSpec(fields=fields, covariates=covariates, policy=policy, format=format,
                     time_unit=TG_TIME[time_col], notes=notes)


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

    Column names are those of :func:`tumorgrowth_columns`: ``subject`` = ``Pt_hashID``,
    ``study`` = ``Study_id`` and ``arm`` = ``Arm_id`` when present, ``series`` = ``"INV-T001"``,
    ``time`` = ``T_days`` (days; else ``T_weeks`` x 7, approximate), ``size`` = ``Lesion_diam``
    (mm; else the diameter of ``Lesion_vol`` or ``Lesion_normvol``); covariates ``t_weeks``
    (``T_weeks``), ``volume`` (``Lesion_vol``, mm^3), ``normvol`` (``Lesion_normvol``),
    ``response`` and ``readings`` (the source's per-series row count), when present.

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


def _nested_spec(raw: RawTable, policy: CleaningPolicy) -> tuple[RawTable, CleanSpec]:
    tumorgrowth_columns(raw.header, file=raw.file)
    flat, notes = explode_nested(raw, TG_VECTOR_COLUMNS)
    spec = _flat_spec(flat, policy, format="tumorgrowth-nested")
    spec.notes[:0] = notes
    return flat, spec


def read_tumorgrowth_nested(path: str | Path, *, policy: CleaningPolicy | None = None,
                            format: Literal["csv", "parquet"] | None = None) -> LoadResult:
    """Read TumorGrowth.jl's nested ``patient_data.csv`` (one line per series, list cells).

    The same columns and covariates as :func:`read_tumorgrowth_flat`, plus ``source_line``
    (the file line of the series) and ``reading`` (position in its lists); row numbering of the
    report is explained in :mod:`oncodyn.data._nested`.
    """
    flat, spec = _nested_spec(read_raw(path, format), _policy(policy))
    return clean(flat, spec)


def detect_format(header: tuple[str, ...] | list[str], *,
                  file: str | None = None) -> Literal["generic", "laleh-s1", "tumorgrowth"]:
    """Name the format of a file from its column names.

    ``"laleh-s1"`` when all S1 columns are present, ``"tumorgrowth"`` for TumorGrowth.jl's
    tables (:func:`tumorgrowth_columns`: ``Pt_hashID``, a time and a size column; whether the
    cells hold lists, the nested ``patient_data.csv``, is told by :func:`read_any` from the
    first record), ``"generic"`` when ``subject``, ``time`` and ``size`` columns are present.

    Raises
    ------
    DataError
        When no format matches; the message says how to map the columns (``--map``) and, for
        a header read as one column holding ``;`` or tabs, which separator to pass.
    """
    cols = set(header)
    if set(S1_COLUMNS) <= cols:
        return "laleh-s1"
    if TG_ID in cols and cols & set(TG_TIME) and cols & set(TG_SIZE):
        return "tumorgrowth"
    if {"subject", "time", "size"} <= cols:
        return "generic"
    hint = ""
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        sep = "';'" if ";" in header[0] else "tab"
        hint = (f" The header was read as ONE column containing {sep}: pass --sep {sep} "
                "(and --decimal ',' for numbers written 12,5).")
    raise DataError(f"unknown format: header {list(header)} is neither the Laleh 2022 S1 format "
                    f"({list(S1_COLUMNS)}), a TumorGrowth.jl table ({TG_ID}, "
                    f"{'/'.join(TG_TIME)}, {'/'.join(TG_SIZE)}) nor a generic table with "
                    f"subject, time and size columns: {MAP_HINT}.{hint}", file=file, row=1)


def read_any(path: str | Path, *, format: str = "auto", policy: CleaningPolicy | None = None,
             columns: Mapping[str, str] | None = None, time_unit: str = "day",
             size_unit: str = "mm", sep: str | None = None,
             decimal: str | None = None) -> LoadResult:
    """Read ``path`` in the named ``format`` (``"auto"`` detects it from the header and cells).

    ``columns`` (a mapping ``{canonical: source column}``), ``time_unit`` and ``size_unit`` apply
    to the generic format; giving ``columns`` with ``format="auto"`` selects it. ``sep`` and
    ``decimal`` are the CSV field separator and decimal mark (default: detected, see
    :func:`oncodyn.data._raw.read_csv_raw`).

    Raises
    ------
    DataError
        Unknown format, missing columns, or a file from which no row loads (the message gives
        the drop reasons and the first dropped row, and a hint at the likely cause).
    """
    policy = _policy(policy)
    if format not in ("auto",) + FORMATS:
        raise ConfigError(f"format must be one of {('auto',) + FORMATS}, got {format!r}")
    if columns and format not in ("auto", "generic"):
        raise ConfigError(f"a column mapping (--map) applies to the generic format, not {format!r}")
    raw = read_raw(path, sep=sep, decimal=decimal)
    fmt = format
    if fmt == "auto":
        fmt = "generic" if columns else detect_format(raw.header, file=raw.file)
        if fmt == "tumorgrowth" and looks_nested(raw, TG_VECTOR_COLUMNS):
            fmt = "tumorgrowth-nested"
    if fmt == "laleh-s1":
        spec = _s1_spec(raw, policy)
    elif fmt == "tumorgrowth":
        spec = _flat_spec(raw, policy)
    elif fmt == "tumorgrowth-nested":
        raw, spec = _nested_spec(raw, policy)
    else:
        spec = generic_spec(raw, columns=columns, policy=policy, time_unit=time_unit,
                            size_unit=size_unit, covariates=None)
    result = clean(raw, spec)
    if result.report.rows_loaded == 0:
        raise DataError(_nothing_loaded(result, raw), file=raw.file)
    return result


def _nothing_loaded(result: LoadResult, raw: RawTable) -> str:
    """Why no row loaded: counts by reason, the first dropped row, and a hint."""
    rep = result.report
    if rep.rows_read == 0:
        return "no data rows (only a header): nothing to load"
    reasons = ", ".join(f"{n} {code}" for code, n in rep.dropped_by_reason.items())
    first = rep.dropped.iloc[0]
    msg = (f"no row loaded ({rep.format} format): all {rep.rows_read} rows dropped ({reasons}); "
           f"first: row {int(first['source_row'])} {first['reason']}"
           + (f" ({first['detail']})" if first["detail"] else ""))
    if rep.format == "tumorgrowth-flat" and looks_nested(raw, TG_VECTOR_COLUMNS):
        return msg + ("; the cells hold lists: this is TumorGrowth.jl's nested patient_data.csv, "
                      "read it with --format tumorgrowth-nested (or auto)")
    return msg + ("; check the format (--format), the column mapping (--map), the units "
                  "(--time-unit, --size-unit) and the separator (--sep, --decimal)")
