"""Apply a :class:`CleaningPolicy` to raw cells: parse, drop, change, de-duplicate, sort, report.

One pass over the records, vectorised per column. Each record gets at most one drop reason
(the first that applies, in the order of the checks below); every value changed on a kept
record is listed. The result satisfies ``rows_read == rows_loaded + rows_dropped``.

Order of the checks: malformed record, format-specific required fields, subject, series, time,
then size (not evaluable, too small, blank, unparseable, non-finite, unit, negative, absurd,
zero), then duplicate time points, then sorting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from ._policy import CleaningPolicy
from ._raw import RawTable
from ._schema import (
    ID_COLUMNS,
    MAX_ABS_DAYS,
    OPTIONAL_COLUMNS,
    SERIES_KEY,
    STR_DTYPE,
    series_codes,
    sort_order,
    validate_tumour_sizes,
)
from .report import CHANGED_COLUMNS, DROPPED_COLUMNS, RAW_PREFIX, LoadReport, LoadResult

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_NONFINITE = re.compile(r"^[+-]?(nan|inf|infinity)$", re.IGNORECASE)
SIZE_UNITS = {"mm": 1.0, "cm": 10.0}
TIME_UNITS = {"day": 1.0, "week": 7.0}


@dataclass(frozen=True)
class Field:
    """Where a canonical column comes from: a source column, or values derived by a reader.

    ``name`` is the source column named in messages; ``values`` (optional) replaces the cells
    of that column (for derived fields such as study from ``Study_Arm``).
    """

    name: str
    values: pd.Series | None = None


@dataclass
class CleanSpec:
    """What the engine needs besides the raw table."""

    fields: Mapping[str, Field]          # canonical -> source (subject, time, size required)
    covariates: Mapping[str, str]        # output name -> source column
    policy: CleaningPolicy
    format: str = "generic"
    time_unit: str = "day"
    size_unit: str = "mm"
    required_ok: np.ndarray | None = None  # False where a format-specific field is unusable
    notes: list[str] = field(default_factory=list)


def cell_text(values: pd.Series) -> np.ndarray:
    """Raw cells as text: strings unchanged, missing -> ``""``, numbers -> ``str``."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values.tolist()):
        if v is None or (isinstance(v, float) and v != v) or v is pd.NA or v is pd.NaT:
            out[i] = ""
        else:
            out[i] = v if isinstance(v, str) else str(v)
    return out


def parse_numbers(text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(values, ok)``: decimal numbers and nan/inf words parse; anything else is not ok."""
    values = np.full(len(text), np.nan)
    ok = np.zeros(len(text), dtype=bool)
    for i, t in enumerate(text):
        s = t.strip()
        if _NUMBER.match(s) or _NONFINITE.match(s):
            values[i] = float(s)
            ok[i] = True
    return values, ok


def _normal_token(text: np.ndarray) -> np.ndarray:
    return np.array([" ".join(t.split()).upper() for t in text], dtype=object)


class _Ledger:
    """Collects drop reasons (one per record) and changes."""

    def __init__(self, n: int, rows: np.ndarray) -> None:
        self.reason = np.full(n, None, dtype=object)
        self.detail = np.full(n, "", dtype=object)
        self.rows = rows
        self.changes: list[tuple[int, str, object, object, str]] = []

    def alive(self) -> np.ndarray:
        return np.array([r is None for r in self.reason], dtype=bool)

    def drop(self, mask: np.ndarray, reason: str, detail: np.ndarray | str = "") -> None:
        take = mask & self.alive()
        self.reason[take] = reason
        if isinstance(detail, str):
            self.detail[take] = detail
        else:
            self.detail[take] = detail[take]

    def change(self, idx: np.ndarray, column: str, old: np.ndarray, new: np.ndarray, reason: str) -> None:
        for i in np.flatnonzero(idx):
            self.changes.append((int(self.rows[i]), column, old[i], _py(new[i]), reason))


def _py(v: object) -> object:
    if isinstance(v, np.floating):
        return float(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def _covariate(values: pd.Series) -> pd.Series:
    """Typed covariate: kept as is when typed; text -> int/float when every cell is a number."""
    if values.dtype != object:
        return values.reset_index(drop=True)
    text = cell_text(values)
    blank = np.array([t.strip() == "" for t in text], dtype=bool)
    nums, ok = parse_numbers(text)
    if (ok | blank).all() and ok.any():
        if not blank.any() and np.all(np.isfinite(nums)) and np.all(nums == np.round(nums)) \
                and np.all(np.abs(nums) < 2**53):
            return pd.Series(nums.astype(np.int64))
        return pd.Series(nums)
    return pd.Series(np.where(blank, None, text), dtype=STR_DTYPE)


def clean(raw: RawTable, spec: CleanSpec) -> LoadResult:
    """Apply ``spec.policy`` to ``raw``; see the module docstring for the order of the checks."""
    policy, file = spec.policy, raw.file
    if spec.size_unit not in SIZE_UNITS:
        raise ConfigError(f"size_unit must be one of {sorted(SIZE_UNITS)}, got {spec.size_unit!r}")
    if spec.time_unit not in TIME_UNITS:
        raise ConfigError(f"time_unit must be one of {sorted(TIME_UNITS)}, got {spec.time_unit!r}")
    for canon in ("subject", "time", "size"):
        if canon not in spec.fields:
            raise ConfigError(f"no source column given for required column {canon!r}")
    for canon, fld in spec.fields.items():
        if fld.values is None and fld.name not in raw.header:
            raise DataError(f"column not found (needed for {canon!r}); header has "
                            f"{list(raw.header)}", file=file, row=1, column=fld.name)
    for out, src in spec.covariates.items():
        if src not in raw.header:
            raise DataError(f"covariate column not found (for {out!r})", file=file, row=1, column=src)

    data, rows = raw.data, raw.source_rows
    n = len(data)
    led = _Ledger(n, rows)
    notes = list(spec.notes)
    if raw.n_blank_lines:
        notes.append(f"{raw.n_blank_lines} empty line(s) skipped (not records)")

    def cells(canon: str) -> np.ndarray:
        fld = spec.fields[canon]
        return cell_text(fld.values if fld.values is not None else data[fld.name])

    if spec.required_ok is not None:
        led.drop(~spec.required_ok, "missing_required")

    # ---- ids ------------------------------------------------------------------------------
    ids: dict[str, np.ndarray] = {}
    for canon in ID_COLUMNS:
        if canon not in spec.fields:
            ids[canon] = np.full(n, None, dtype=object)
            continue
        text = cells(canon)
        stripped = np.array([t.strip() for t in text], dtype=object)
        blank = stripped == ""
        if canon not in OPTIONAL_COLUMNS:
            led.drop(blank, f"missing_{canon}")
        ids[canon] = np.where(blank, None, stripped)
        ids[canon + "_raw"] = text
        ids[canon + "_ws"] = (~blank) & (stripped != text)

    # ---- time -----------------------------------------------------------------------------
    ttext = cells("time")
    tblank = np.array([t.strip() == "" for t in ttext], dtype=bool)
    tval, tok = parse_numbers(ttext)
    if policy.missing_time == "error" and (tblank & led.alive()).any():
        i = int(np.flatnonzero(tblank & led.alive())[0])
        raise DataError("time is blank (policy missing_time='error')", file=file,
                        row=int(rows[i]), column=spec.fields["time"].name)
    led.drop(tblank, "missing_time")
    led.drop(~tok | ~np.isfinite(tval), "bad_time", np.array([f"time {t!r}" for t in ttext], dtype=object))
    tval = tval * TIME_UNITS[spec.time_unit]
    led.drop(np.isfinite(tval) & ~(np.abs(tval) <= MAX_ABS_DAYS), "bad_time",
             np.array([f"time {t!r} beyond +/-{MAX_ABS_DAYS:,.0f} days" for t in ttext],
                      dtype=object))
    if spec.time_unit != "day":
        notes.append(f"time converted from {spec.time_unit}s to days (x{TIME_UNITS[spec.time_unit]:g})")

    # ---- size -----------------------------------------------------------------------------
    stext = cells("size")
    scol = spec.fields["size"].name
    token = _normal_token(stext)
    is_ne = np.isin(token, policy.not_evaluable_tokens)
    is_ts = np.isin(token, policy.too_small_tokens)
    sblank = token == ""
    sval, sok = parse_numbers(stext)
    if policy.not_evaluable == "drop":
        led.drop(is_ne, "not_evaluable")
    if policy.too_small == "drop":
        led.drop(is_ts, "too_small_dropped")
    if policy.blank == "drop":
        led.drop(sblank, "blank_size")
    coded = is_ne | is_ts | sblank
    show = np.array([f"size {t!r}" for t in stext], dtype=object)
    led.drop(~coded & ~sok, "unparseable_size", show)
    led.drop(~coded & sok & ~np.isfinite(sval), "non_finite_size", show)

    if "unit" in spec.fields:
        utext = np.array([t.strip().lower() for t in cells("unit")], dtype=object)
        default = SIZE_UNITS[spec.size_unit]
        factor = np.array([SIZE_UNITS.get(u, np.nan) if u else default for u in utext])
        led.drop(~coded & np.isnan(factor), "unknown_unit",
                 np.array([f"unit {u!r}" for u in utext], dtype=object))
        if (utext == "").any():
            notes.append(f"blank units read as {spec.size_unit}")
    else:
        factor = np.full(n, SIZE_UNITS[spec.size_unit])
        if spec.size_unit != "mm":
            notes.append(f"sizes converted from {spec.size_unit} to mm (each value listed in changed)")
    factor = np.where(np.isnan(factor), 1.0, factor)
    size = sval * factor
    numeric = ~coded & sok
    for mask, kind, reason in ((numeric & (size < 0), policy.negative, "negative_size"),
                               (numeric & (size > policy.max_size_mm), policy.absurd, "absurd_size")):
        if kind == "error" and (mask & led.alive()).any():
            i = int(np.flatnonzero(mask & led.alive())[0])
            raise DataError(f"size {stext[i]!r} rejected ({reason}, max_size_mm="
                            f"{policy.max_size_mm:g})", file=file, row=int(rows[i]), column=scol)
        led.drop(mask, reason, show)
    if policy.zero == "drop":
        led.drop(numeric & (size == 0), "zero_dropped")

    alive = led.alive()
    if policy.too_small == "value":
        size = np.where(is_ts, policy.too_small_mm, size)
        led.change(alive & is_ts, scol, stext, size, "too_small_to_measure")
    if policy.not_evaluable == "missing":
        size = np.where(is_ne, np.nan, size)
        led.change(alive & is_ne, scol, stext, size, "not_evaluable_missing")
    if policy.blank == "missing":
        size = np.where(sblank, np.nan, size)
        led.change(alive & sblank & ~is_ne & ~is_ts, scol, stext, size, "blank_missing")
    led.change(alive & numeric & (factor == 10.0), scol, stext, size, "unit_cm_to_mm")
    for canon in ID_COLUMNS:
        if canon in spec.fields:
            led.change(alive & ids[canon + "_ws"], spec.fields[canon].name, ids[canon + "_raw"],
                       ids[canon], "whitespace_stripped")

    # ---- duplicates -------------------------------------------------------------------------
    keyframe = pd.DataFrame({c: ids[c] for c in SERIES_KEY} | {"time": tval}).astype(
        {c: object for c in SERIES_KEY})
    live = np.flatnonzero(alive)
    if len(live):
        sub = keyframe.iloc[live]
        first_pos = sub.groupby(list(SERIES_KEY) + ["time"], dropna=False, sort=False).ngroup()
        group = first_pos.to_numpy()
        leader = pd.Series(live).groupby(group).transform("first").to_numpy()
        dup = leader != live
        if dup.any():
            if policy.duplicates == "error":
                i = int(live[np.flatnonzero(dup)[0]])
                raise DataError(f"duplicate time point (same series and time as row "
                                f"{int(rows[leader[np.flatnonzero(dup)[0]]])}; policy duplicates='error')",
                                file=file, row=int(rows[i]), column=spec.fields["time"].name)
            detail = np.full(n, "", dtype=object)
            detail[live[dup]] = [f"same series and time as source row {int(rows[j])}" for j in leader[dup]]
            mask = np.zeros(n, dtype=bool)
            mask[live[dup]] = True
            if policy.duplicates == "mean":
                means = pd.Series(size[live]).groupby(group).transform("mean").to_numpy()
                new = size.copy()
                new[live] = means
                led.drop(mask, "duplicate_time_merged", detail)
                lead_mask = np.zeros(n, dtype=bool)
                lead_mask[np.unique(leader[dup])] = True
                differs = lead_mask & ~((new == size) | (np.isnan(new) & np.isnan(size)))
                led.change(differs, scol, stext, new, "duplicate_time_mean")
                size = new
            else:
                led.drop(mask, "duplicate_time", detail)

    # ---- table, sort ------------------------------------------------------------------------
    alive = led.alive()
    keep = np.flatnonzero(alive)
    table = pd.DataFrame({c: pd.Series(ids[c][keep], dtype=object) for c in ID_COLUMNS})
    for c in ID_COLUMNS:
        table[c] = table[c].astype(STR_DTYPE)
    table["time"] = tval[keep]
    table["size"] = size[keep]
    for out, src in spec.covariates.items():
        table[out] = _covariate(data[src].iloc[keep])
    kept_rows = rows[keep]
    # series whose file order is not time order
    codes = series_codes(table)
    fo = np.lexsort((np.arange(len(table)), codes))
    same_series = np.zeros(len(fo), dtype=bool)
    same_series[1:] = codes[fo][1:] == codes[fo][:-1]
    back = np.zeros(len(fo), dtype=bool)
    back[1:] = same_series[1:] & (np.diff(table["time"].to_numpy()[fo]) < 0)
    n_reordered = 0
    if back.any():
        if policy.unsorted == "error":
            first = int(kept_rows[fo[back]].min())  # first offending record in file order
            raise DataError("time goes backwards within a series (policy unsorted='error')",
                            file=file, row=first, column=spec.fields["time"].name)
        n_reordered = len(np.unique(codes[fo][back]))
    order = sort_order(table)
    table = table.iloc[order].reset_index(drop=True)
    kept_rows = kept_rows[order]
    table = validate_tumour_sizes(table, file=file, max_size_mm=policy.max_size_mm)

    # ---- report -----------------------------------------------------------------------------
    drop_idx = np.flatnonzero(~alive)
    dropped = pd.DataFrame({"source_row": rows[drop_idx].astype(np.int64),
                            "reason": pd.Series(led.reason[drop_idx], dtype=object),
                            "detail": pd.Series(led.detail[drop_idx], dtype=object)},
                           columns=list(DROPPED_COLUMNS))
    for h in raw.header:
        dropped[RAW_PREFIX + h] = cell_text(data[h].iloc[drop_idx]) if len(drop_idx) else []
    if raw.malformed:
        mal = pd.DataFrame({"source_row": [r for r, _ in raw.malformed],
                            "reason": "malformed_row",
                            "detail": [f"{len(f)} fields, header has {len(raw.header)}: "
                                       + ",".join(f) for r, f in raw.malformed]})
        dropped = pd.concat([dropped, mal], ignore_index=True)
    dropped = dropped.sort_values("source_row", kind="stable").reset_index(drop=True)
    changed = pd.DataFrame(led.changes, columns=list(CHANGED_COLUMNS))
    changed = changed.astype({"old": object, "new": object}).sort_values(
        ["source_row"], kind="stable").reset_index(drop=True)
    n_series = int(table.groupby(list(SERIES_KEY), dropna=False).ngroups) if len(table) else 0
    report = LoadReport(file=file, format=spec.format, rows_read=n + len(raw.malformed),
                        rows_loaded=len(table), changed=changed, dropped=dropped,
                        n_series=n_series, n_readings=int(table["size"].notna().sum()),
                        n_series_reordered=n_reordered, policy=policy, notes=tuple(notes))
    return LoadResult(table=table, report=report, source_rows=kept_rows.astype(np.int64))
