"""The cleaning policy applied when tumour-size files are read, and the reason codes it cites.

Every row a reader drops or changes is recorded in the :class:`~oncodyn.data.LoadReport` with one
of the reason codes of :data:`REASONS`; the code is stable (tests and JSON reports use it), the
text explains the decision and where its default comes from.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..errors import ConfigError
from ._schema import MAX_SIZE_MM

#: Reason code -> explanation. Codes appear in ``LoadReport.dropped["reason"]`` and
#: ``LoadReport.changed["reason"]``.
REASONS: dict[str, str] = {
    # drops
    "malformed_row": "the CSV record has a different number of fields than the header",
    "missing_subject": "subject id is blank",
    "missing_series": "series (lesion) id is blank",
    "missing_required": "a required field derived by the format reader is blank or unparseable",
    "missing_time": "time is blank (policy missing_time='drop')",
    "bad_time": "time is not a finite number within +/-36,525 days (100 years; MAX_ABS_DAYS)",
    "not_evaluable": "size recorded as NOT EVALUABLE / NE (policy not_evaluable='drop')",
    "too_small_dropped": "size recorded as TOO SMALL TO MEASURE (policy too_small='drop')",
    "blank_size": "size is blank (policy blank='drop')",
    "unparseable_size": "size is neither a number nor a known text code",
    "non_finite_size": "size is NaN or infinite",
    "negative_size": "size is negative: a diameter cannot be below 0 mm",
    "absurd_size": f"size (in mm) exceeds policy.max_size_mm (default {MAX_SIZE_MM:g} mm, see "
    "CleaningPolicy)",
    "unknown_unit": "size unit is not one of mm, cm",
    "zero_dropped": "size is 0 mm (policy zero='drop')",
    "duplicate_time": "another row of the same series has the same time; the first one is kept "
    "(policy duplicates='first')",
    "duplicate_time_merged": "another row of the same series has the same time; merged into the first "
    "row by averaging the sizes (policy duplicates='mean')",
    # changes
    "too_small_to_measure": "TOO SMALL TO MEASURE replaced by policy.too_small_mm (default 5 mm, "
    "RECIST 1.1 practice: docs/recist.md#r3-4, Eisenhauer et al. 2009 and RECIST FAQ)",
    "not_evaluable_missing": "NOT EVALUABLE kept as a missing size (policy not_evaluable='missing')",
    "blank_missing": "blank size kept as a missing size (policy blank='missing')",
    "unit_cm_to_mm": "size given in cm, multiplied by 10 to mm",
    "duplicate_time_mean": "size replaced by the mean of the rows of the series with the same time "
    "(policy duplicates='mean')",
    "whitespace_stripped": "leading/trailing white space removed from an id",
}

DROP_REASONS = frozenset({
    "malformed_row", "missing_subject", "missing_series", "missing_required", "missing_time",
    "bad_time", "not_evaluable", "too_small_dropped", "blank_size", "unparseable_size",
    "non_finite_size", "negative_size", "absurd_size", "unknown_unit", "zero_dropped",
    "duplicate_time", "duplicate_time_merged",
})
CHANGE_REASONS = frozenset(REASONS) - DROP_REASONS


def _normalise_tokens(tokens: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(" ".join(str(t).split()).upper() for t in tokens)


@dataclass(frozen=True)
class CleaningPolicy:
    """How readers treat the messy values of real tumour-size files.

    Every field is one decision; each dropped or changed row is reported with the reason code
    of :data:`REASONS`. The defaults are chosen as follows.

    Parameters
    ----------
    not_evaluable : {"drop", "missing"}
        Sizes written as one of ``not_evaluable_tokens`` (``NOT EVALUABLE``, ``NE``). Default
        ``"drop"``: the lesion was not assessed, so there is no reading (TumorGrowth.jl drops
        these rows; Genentech/jmpost keeps them as missing; see docs/data-formats.md#cleaning).
        ``"missing"`` keeps the row with a missing (NaN) size.
    too_small : {"value", "drop"}
        Sizes written as one of ``too_small_tokens`` (``TOO SMALL TO MEASURE``). Default
        ``"value"``: replaced by ``too_small_mm``.
    too_small_mm : float
        Value substituted for TOO SMALL TO MEASURE, default 5 mm: RECIST 1.1 practice
        (Eisenhauer et al. 2009, Eur J Cancer 45:228, and the RECIST working-group FAQ on
        lesions < 5 mm; docs/recist.md#r3-4, option ``tstm_default_mm``).
    blank : {"drop", "missing"}
        Blank sizes; default ``"drop"`` (no reading was recorded).
    negative : {"drop", "error"}
        Negative sizes (impossible for a diameter); default ``"drop"``.
    max_size_mm : float
        Sizes above this (after unit conversion) are absurd. Default
        :data:`oncodyn.data._schema.MAX_SIZE_MM` = 500 mm (illustrative bound, sourced there),
        the same limit :func:`~oncodyn.data.validate_tumour_sizes` applies, so a valid table
        always reads back whole; the loaded table is validated with this policy's value.
    absurd : {"drop", "error"}
        What to do with sizes above ``max_size_mm``; default ``"drop"``.
    zero : {"keep", "drop"}
        Sizes of exactly 0 mm. Default ``"keep"``: RECIST 1.1 records 0 mm for a target lesion
        that disappeared (docs/recist.md#r3-4), a real and informative reading.
    duplicates : {"first", "mean", "error"}
        Several rows of one series at the same time. Default ``"first"``: keep the first row in
        file order and drop the others (reported). It never invents a value, and in the Laleh
        et al. 2022 data every duplicate pair (4 in studies 1-4) has identical sizes, so
        ``"first"`` and ``"mean"`` agree there.
    unsorted : {"sort", "error"}
        Series whose rows are not in time order. Default ``"sort"`` (stable sort by time; the
        number of series reordered is reported as ``LoadReport.n_series_reordered``). In Laleh's S1
        file (studies 1-4), 81 series are out of time order, 79 after the default drops.
    missing_time : {"drop", "error"}
        Rows with a blank time; default ``"drop"``.
    not_evaluable_tokens, too_small_tokens : tuple of str
        Text codes, compared case-insensitively after collapsing white space.
    """

    not_evaluable: Literal["drop", "missing"] = "drop"
    too_small: Literal["value", "drop"] = "value"
    too_small_mm: float = 5.0
    blank: Literal["drop", "missing"] = "drop"
    negative: Literal["drop", "error"] = "drop"
    max_size_mm: float = MAX_SIZE_MM
    absurd: Literal["drop", "error"] = "drop"
    zero: Literal["keep", "drop"] = "keep"
    duplicates: Literal["first", "mean", "error"] = "first"
    unsorted: Literal["sort", "error"] = "sort"
    missing_time: Literal["drop", "error"] = "drop"
    not_evaluable_tokens: tuple[str, ...] = field(default=("NOT EVALUABLE", "NE"))
    too_small_tokens: tuple[str, ...] = field(default=("TOO SMALL TO MEASURE", "TSTM"))

    def __post_init__(self) -> None:
        choices = {
            "not_evaluable": ("drop", "missing"),
            "too_small": ("value", "drop"),
            "blank": ("drop", "missing"),
            "negative": ("drop", "error"),
            "absurd": ("drop", "error"),
            "zero": ("keep", "drop"),
            "duplicates": ("first", "mean", "error"),
            "unsorted": ("sort", "error"),
            "missing_time": ("drop", "error"),
        }
        for name, allowed in choices.items():
            value = getattr(self, name)
            if value not in allowed:
                raise ConfigError(f"CleaningPolicy.{name} must be one of {allowed}, got {value!r}")
        for name in ("too_small_mm", "max_size_mm"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigError(f"CleaningPolicy.{name} must be a finite number, got {value!r}")
        if self.too_small_mm < 0:
            raise ConfigError(f"CleaningPolicy.too_small_mm must be >= 0, got {self.too_small_mm}")
        if self.max_size_mm <= 0:
            raise ConfigError(f"CleaningPolicy.max_size_mm must be > 0, got {self.max_size_mm}")
        if self.too_small == "value" and self.too_small_mm > self.max_size_mm:
            raise ConfigError("CleaningPolicy.too_small_mm must not exceed max_size_mm")
        object.__setattr__(self, "too_small_mm", float(self.too_small_mm))
        object.__setattr__(self, "max_size_mm", float(self.max_size_mm))
        for name in ("not_evaluable_tokens", "too_small_tokens"):
            tokens = getattr(self, name)
            if isinstance(tokens, str):
                tokens = (tokens,)
            object.__setattr__(self, name, _normalise_tokens(tuple(tokens)))
        overlap = set(self.not_evaluable_tokens) & set(self.too_small_tokens)
        if overlap:
            raise ConfigError(f"CleaningPolicy: tokens {sorted(overlap)} are both not-evaluable "
                              "and too-small codes")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the policy (tuples become lists)."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}
