"""Read tumour-size files into the canonical long table, with a report of every decision.

:func:`read_tumour_sizes` reads any CSV/Parquet file given a column mapping;
:mod:`oncodyn.data.datasets` has readers for the Laleh et al. 2022 formats and the format
auto-detection used by ``oncodyn data inspect``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import pandas as pd

from ..errors import ConfigError, DataError
from ._clean import CleanSpec, Field, clean
from ._policy import CleaningPolicy
from ._raw import RawTable, read_raw
from ._schema import TUMOUR_SIZE_COLUMNS
from .report import LoadResult

#: Canonical names a mapping may use: the table columns plus ``unit`` (per-row size unit).
MAPPABLE = TUMOUR_SIZE_COLUMNS + ("unit",)
#: Series id used when a file has no series column: each subject is one series.
DEFAULT_SERIES = "1"


def generic_spec(raw: RawTable, *, columns: Mapping[str, str] | None, policy: CleaningPolicy,
                 time_unit: str, size_unit: str,
                 covariates: Sequence[str] | Mapping[str, str] | None) -> CleanSpec:
    """The :class:`CleanSpec` of :func:`read_tumour_sizes` for an already read file."""
    columns = dict(columns or {})
    unknown = sorted(set(columns) - set(MAPPABLE))
    if unknown:
        raise ConfigError(f"columns: unknown canonical name(s) {unknown}; use {list(MAPPABLE)}")
    for canon in MAPPABLE:
        if canon not in columns and canon in raw.header:
            columns[canon] = canon
    for canon in ("subject", "time", "size"):
        if canon not in columns:
            raise DataError(f"no {canon!r} column: the header has {list(raw.header)}; map one "
                            f"with columns={{{canon!r}: 'source name'}} (CLI: --map {canon}=COLUMN)",
                            file=raw.file, row=1, column=canon)
    for canon, src in columns.items():
        if str(src) not in raw.header:
            raise DataError(f"column not found (mapped to {canon!r}); the header has "
                            f"{list(raw.header)}: fix the mapping (CLI: --map {canon}=COLUMN)",
                            file=raw.file, row=1, column=str(src))
    fields = {canon: Field(str(src)) for canon, src in columns.items()}
    notes: list[str] = []
    if "series" not in fields:
        fields["series"] = Field("series", pd.Series([DEFAULT_SERIES] * len(raw.data), dtype=object))
        notes.append(f"no series column: each subject is one series, series id {DEFAULT_SERIES!r}")
    used = {f.name for c, f in fields.items() if f.values is None}
    if covariates is None:
        cov = {h: h for h in raw.header if h not in used}
        clash = [h for h in cov if h in MAPPABLE]
        for h in clash:
            del cov[h]
        if clash:
            notes.append(f"source column(s) {clash} not kept: their names are canonical columns "
                         "mapped from other source columns")
    elif isinstance(covariates, Mapping):
        cov = {str(k): str(v) for k, v in covariates.items()}
    else:
        cov = {str(c): str(c) for c in covariates}
    bad = [c for c in cov if c in MAPPABLE]
    if bad:
        raise ConfigError(f"covariate name(s) {bad} collide with canonical columns")
    return CleanSpec(fields=fields, covariates=cov, policy=policy, format="generic",
                     time_unit=time_unit, size_unit=size_unit, notes=[*raw.notes, *notes])


def read_tumour_sizes(path: str | Path, *, columns: Mapping[str, str] | None = None,
                      format: Literal["csv", "parquet"] | None = None,
                      policy: CleaningPolicy | None = None,
                      time_unit: Literal["day", "week"] = "day",
                      size_unit: Literal["mm", "cm"] = "mm",
                      covariates: Sequence[str] | Mapping[str, str] | None = None,
                      sep: str | None = None, decimal: str | None = None) -> LoadResult:
    """Read a tumour-size file (CSV or Parquet) into the canonical long table.

    Parameters
    ----------
    path : str or Path
        The file. CSV is read as UTF-8 text, every cell as text (ids keep all their digits).
    columns : mapping, optional
        ``{canonical: source_column}`` for ``study``, ``arm``, ``subject``, ``series``, ``time``,
        ``size`` and ``unit`` (a per-row size unit, ``mm`` or ``cm``; blank = ``size_unit``).
        Canonical names not given are taken from same-named source columns when present.
        ``subject``, ``time`` and ``size`` are required; without ``series`` every subject is one
        series (id ``"1"``, noted in the report); ``study`` and ``arm`` are optional (NA).
    format : {"csv", "parquet"}, optional
        Default: from the suffix (``.csv``/``.txt``, ``.parquet``/``.pq``).
    policy : CleaningPolicy, optional
        Cleaning decisions; default ``CleaningPolicy()`` (documented there).
    time_unit : {"day", "week"}
        Unit of the time column; weeks are multiplied by 7 (noted in the report).
    size_unit : {"mm", "cm"}
        Unit of the size column (when no ``unit`` column); cm values are multiplied by 10 and
        each conversion is listed in ``report.changed``.
    covariates : sequence or mapping, optional
        Extra columns to keep (names, or ``{output_name: source_column}``). Default: every
        source column not used above. Text columns whose cells are all numbers become numeric.
    sep, decimal : str, optional
        CSV field separator (``","``, ``";"``, tab) and decimal mark (``"."``, ``","``); default
        detected (a header without commas but with ``;`` means ``;`` and decimal commas).

    Returns
    -------
    LoadResult
        ``.table`` (canonical, validated, sorted) and ``.report`` (rows read/loaded, every change
        and drop with its reason; source rows are 1-based file lines, header = 1).

    Raises
    ------
    DataError
        Missing file or column, unreadable file, or a value rejected by an ``"error"`` policy;
        the message names the file, row and column.
    ConfigError
        Bad options.
    """
    policy = CleaningPolicy() if policy is None else policy
    if not isinstance(policy, CleaningPolicy):
        raise ConfigError(f"policy must be a CleaningPolicy, got {type(policy).__name__}")
    raw = read_raw(path, format, sep=sep, decimal=decimal)
    spec = generic_spec(raw, columns=columns, policy=policy, time_unit=time_unit,
                        size_unit=size_unit, covariates=covariates)
    return clean(raw, spec)
