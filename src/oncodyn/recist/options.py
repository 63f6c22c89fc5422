"""Options of the RECIST 1.1 / iRECIST engine (docs/recist.md#r12), with their defaults.

Every default is the one chosen in the project's rules (docs/recist.md#r12 and decision log docs/recist.md#r14); the
guideline itself is Eisenhauer EA et al., Eur J Cancer 2009;45:228-247 (RECIST 1.1) and Seymour L
et al., Lancet Oncol 2017;18:e143-e152 (iRECIST). Options tagged [C] in the spec are conventions
(the guideline leaves room); their defaults follow the spec's decision log, not the guideline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ..errors import ConfigError

_CHOICES: dict[str, tuple[str, ...]] = {
    "criteria": ("RECIST1.1", "iRECIST"),
    "pr_continuation": ("strict", "faq"),
    "reappearance_after_cr": ("PD", "ignore"),
    "cr_followed_by_non_cr": ("PD", "downgrade_cr_to_pr", "NE"),
    "equivocal_new_lesion": ("reclassify_first", "date_only"),
}


@dataclass(frozen=True)
class MissedVisitCensoring:
    """R10.4 missed-visit censoring rule (SAP convention, FDA 2018 guidance).

    Attributes
    ----------
    enabled : bool
        Default False (spec R12: events are counted at the date they are documented).
    max_missed : int
        Default 1: an event preceded by more than this many consecutive missed/NE assessments
        since the last adequate one is censored at that last adequate assessment.
    """

    enabled: bool = False
    max_missed: int = 1


@dataclass(frozen=True)
class RecistOptions:
    """Evaluation options; defaults are those of docs/recist.md#r12.

    Attributes
    ----------
    criteria : {"RECIST1.1", "iRECIST"}
        Default "RECIST1.1" (R11: iRECIST is optional).
    confirmation_required : bool
        Default False (R8.2; set True for single-arm trials with response as primary endpoint, R8.3).
    confirm_min_days : int
        Default 28 (R8.3, RECIST 1.1 section 4.6: confirmation no less than 4 weeks later).
    max_ne_between_confirmation : int
        Default 1 (R8.3/R9.4, decision D10, the admiralonco default).
    accept_sd_between : bool
        Default False (R8.3 [C]: an SD between a PR and its confirmation breaks it).
    min_sd_days : int
        Default 42 (R8.4 [C]: 6 weeks after the reference date; guideline: protocol-defined 6-8 weeks).
    sd_window_tolerance_days : int
        Default 0 (R8.4): lowers the SD minimum by this many days.
    pr_continuation : {"strict", "faq"}
        Default "strict" (R7.6, decision D5).
    reappearance_after_cr : {"PD", "ignore"}
        Default "PD" (R7.5, RECIST FAQ; decision D3). "ignore" applies R4/R5 only.
    cr_followed_by_non_cr : {"PD", "downgrade_cr_to_pr", "NE"}
        Default "PD" (R8.5 [C]).
    tstm_default_mm : float
        Default 5 mm (R3.4, RECIST 1.1 Appendix II "too small to measure").
    equivocal_new_lesion : {"reclassify_first", "date_only"}
        Default "reclassify_first" (R6.3, decision D4).
    exclude_after_new_therapy : bool
        Default True (R8.1, R10.4).
    include_post_treatment : bool
        Default True (R8.1); when False, assessments after ``end_of_treatment_date`` are excluded.
    clinical_progression_is_event : bool
        Default False (R10.3, R8.7).
    missed_visit_censoring : MissedVisitCensoring
        Default disabled, max_missed 1 (R10.4).
    pfs_day_offset : int
        Default 1 (R10.3: duration = date - reference + 1, reference date = day 1).
    baseline_max_days_before : int
        Default 28 (R2.6, RECIST 1.1 section 3.2: baseline within 4 weeks before treatment).
    iupd_unconfirmed_is_event : bool
        Default False (R11.8, decision D12).
    """

    criteria: str = "RECIST1.1"
    confirmation_required: bool = False
    confirm_min_days: int = 28
    max_ne_between_confirmation: int = 1
    accept_sd_between: bool = False
    min_sd_days: int = 42
    sd_window_tolerance_days: int = 0
    pr_continuation: str = "strict"
    reappearance_after_cr: str = "PD"
    cr_followed_by_non_cr: str = "PD"
    tstm_default_mm: float = 5.0
    equivocal_new_lesion: str = "reclassify_first"
    exclude_after_new_therapy: bool = True
    include_post_treatment: bool = True
    clinical_progression_is_event: bool = False
    missed_visit_censoring: MissedVisitCensoring = field(default_factory=MissedVisitCensoring)
    pfs_day_offset: int = 1
    baseline_max_days_before: int = 28
    iupd_unconfirmed_is_event: bool = False

    def __post_init__(self) -> None:
        for name, allowed in _CHOICES.items():
            value = getattr(self, name)
            if value not in allowed:
                raise ConfigError(f"option {name!r} = {value!r} is not allowed; allowed values: "
                                  + ", ".join(repr(a) for a in allowed))
        for name in ("confirm_min_days", "max_ne_between_confirmation", "min_sd_days",
                     "sd_window_tolerance_days", "pfs_day_offset", "baseline_max_days_before"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"option {name!r} = {value!r} must be a non-negative integer")
        for name in ("confirmation_required", "accept_sd_between", "exclude_after_new_therapy",
                     "include_post_treatment", "clinical_progression_is_event",
                     "iupd_unconfirmed_is_event"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"option {name!r} = {getattr(self, name)!r} must be true or false")
        t = self.tstm_default_mm
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not t >= 0:
            raise ConfigError(f"option 'tstm_default_mm' = {t!r} must be a number >= 0")
        if round(float(t) * 100) != float(t) * 100:
            raise ConfigError("option 'tstm_default_mm' must be a multiple of 0.01 mm")
        m = self.missed_visit_censoring
        if not isinstance(m, MissedVisitCensoring):
            raise ConfigError("option 'missed_visit_censoring' must be {enabled, max_missed}")
        if not isinstance(m.enabled, bool) or isinstance(m.max_missed, bool) or \
                not isinstance(m.max_missed, int) or m.max_missed < 0:
            raise ConfigError("option 'missed_visit_censoring' needs enabled (true/false) and "
                              "max_missed (non-negative integer)")

    @property
    def irecist(self) -> bool:
        """True when ``criteria == "iRECIST"``."""
        return self.criteria == "iRECIST"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> RecistOptions:
        """Build options from a mapping (e.g. a case's ``options`` object); missing keys default.

        Raises
        ------
        ConfigError
            Naming the unknown key and the allowed keys, or the bad value and its allowed values.
        """
        if data is None:
            return cls()
        if isinstance(data, RecistOptions):
            return data
        if not isinstance(data, Mapping):
            raise ConfigError(f"RECIST options must be a mapping, got {type(data).__name__}")
        allowed = [f.name for f in fields(cls)]
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in allowed:
                raise ConfigError(f"unknown RECIST option {key!r}; allowed options: "
                                  + ", ".join(allowed) + " (docs/recist.md#r12)")
            if key == "missed_visit_censoring":
                if isinstance(value, MissedVisitCensoring):
                    kwargs[key] = value
                    continue
                if not isinstance(value, Mapping):
                    raise ConfigError("option 'missed_visit_censoring' must be a mapping with "
                                      "keys 'enabled' and 'max_missed'")
                bad = set(value) - {"enabled", "max_missed"}
                if bad:
                    raise ConfigError(f"unknown key {sorted(bad)[0]!r} in option "
                                      "'missed_visit_censoring'; allowed: 'enabled', 'max_missed'")
                kwargs[key] = MissedVisitCensoring(**value)
            else:
                kwargs[key] = value
        return cls(**kwargs)

    def to_toml(self, *, header: str = "") -> str:
        """Every option as TOML text that ``oncodyn recist --options FILE`` reads back to ``self``.

        Top-level keys in field order, ``missed_visit_censoring`` as a sub-table; ``header``
        (optional) is written first as ``#`` comment lines.
        """
        import json

        def val(v: Any) -> str:
            if isinstance(v, bool):
                return "true" if v else "false"
            if isinstance(v, int | float):
                return repr(v)
            return json.dumps(str(v))  # a TOML basic string (JSON escapes are valid TOML)

        lines = [f"# {h}".rstrip() for h in header.splitlines()] if header else []
        for f in fields(self):
            if f.name != "missed_visit_censoring":
                lines.append(f"{f.name} = {val(getattr(self, f.name))}")
        m = self.missed_visit_censoring
        lines += ["", "[missed_visit_censoring]", f"enabled = {val(m.enabled)}",
                  f"max_missed = {val(m.max_missed)}"]
        return "\n".join(lines) + "\n"

    def with_changes(self, **changes: Any) -> RecistOptions:
        """A copy with some options changed (validated like ``from_dict``)."""
        merged = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in changes:
            if key not in merged:
                raise ConfigError(f"unknown RECIST option {key!r}; allowed options: "
                                  + ", ".join(merged))
        return replace(self, **changes)
