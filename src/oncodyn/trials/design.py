"""TRIAL.toml: the design of a two-arm virtual trial, validated by pydantic.

A design names two arms, each a simulation scenario (a preset name or a scenario TOML file,
relative paths from the TRIAL.toml folder) with optional overrides, and how patients are
allocated and analysed::

    name = "docetaxel_vs_control"
    n_patients = 300          # randomised in all, split by the arms' ratios
    seed = 2026
    control = "control"
    endpoints = ["orr", "pfs", "os"]
    primary = "pfs"           # the endpoint of power / probability of success
    alpha = 0.05              # two-sided
    replicates = 200          # simulated trials for power (CLI --replicates overrides)

    [arms.docetaxel]
    scenario = "nsclc_docetaxel"
    ratio = 1

    [arms.control]
    scenario = "nsclc_docetaxel"
    untreated = true          # no chemotherapy, no radiotherapy
    ratio = 1

An arm may change any scenario key instead (or as well), e.g. a reduced dose::

    [arms.reduced.overrides.chemo]
    dose_mg_m2 = 60.0

Errors name the file and the key (``ConfigError``). Research and teaching software: a virtual
trial is a model's prediction, not evidence for a treatment decision.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import ConfigError

ENDPOINTS = ("orr", "pfs", "os")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ArmCfg(_Strict):
    """One arm: a scenario, changes to it, and its randomisation weight."""

    scenario: str = Field(min_length=1)
    label: str = ""
    ratio: int = Field(1, ge=1, le=100)
    untreated: bool = False
    overrides: dict[str, Any] = {}


class TrialDesign(_Strict):
    """A two-arm virtual trial (see the module docstring for the TOML layout).

    ``alpha`` default 0.05 two-sided (the conventional level, ICH E9); ``replicates`` default
    0 = one trial, no power estimate; ``seed`` default 0.
    """

    name: str = Field(min_length=1)
    description: str = ""
    n_patients: int = Field(ge=2, le=1_000_000)
    seed: int = Field(0, ge=0)
    control: str
    endpoints: list[Literal["orr", "pfs", "os"]] = ["orr", "pfs", "os"]
    primary: Literal["orr", "pfs", "os"] = "pfs"
    alpha: float = Field(0.05, gt=0, lt=1)
    replicates: int = Field(0, ge=0, le=100_000)
    arms: dict[str, ArmCfg]
    notes: dict[str, str] = {}
    base_dir: str = Field("", exclude=True)  # folder of the TRIAL.toml (scenario paths)

    @model_validator(mode="after")
    def _check(self) -> TrialDesign:
        if len(self.arms) != 2:
            raise ValueError(f"arms: a two-arm trial needs exactly 2 arms, got {len(self.arms)} "
                             f"({', '.join(self.arms) or 'none'})")
        if self.control not in self.arms:
            raise ValueError(f"control: {self.control!r} is not an arm; allowed: {', '.join(self.arms)}")
        if not self.endpoints or len(set(self.endpoints)) != len(self.endpoints):
            raise ValueError("endpoints: a non-empty list without repeats of orr, pfs, os")
        if self.primary not in self.endpoints:
            raise ValueError(f"primary: {self.primary!r} is not among endpoints {self.endpoints}")
        n_c, n_e = self.arm_sizes()
        if min(n_c, n_e) < 1:
            raise ValueError(f"n_patients: {self.n_patients} gives an empty arm with ratios "
                             f"{self.arms[self.control].ratio}:{self.arms[self.experimental].ratio}")
        return self

    @property
    def experimental(self) -> str:
        """The arm that is not the control."""
        return next(a for a in self.arms if a != self.control)

    def arm_sizes(self) -> tuple[int, int]:
        """(control, experimental) patients: n_patients split by the ratios, rounded to the
        nearest integer for the control arm (fixed allocation, as permuted blocks give)."""
        rc, re_ = self.arms[self.control].ratio, self.arms[self.experimental].ratio
        n_c = int(round(self.n_patients * rc / (rc + re_)))
        return n_c, self.n_patients - n_c


def _format(err: ValidationError, source: str) -> str:
    parts = []
    for e in err.errors()[:3]:
        loc = ".".join(str(x) for x in e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        elif e["type"] == "missing":
            msg = "required key missing"
        parts.append(f"{loc}: {msg}" if loc else msg)
    return f"{source}: " + "; ".join(parts)


def design_from_dict(data: dict[str, Any], *, source: str = "trial", base_dir: str | Path = "") -> TrialDesign:
    """Validate a parsed TRIAL mapping (ConfigError naming the source and the key on failure)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a TOML table is needed")
    if "base_dir" in data:
        raise ConfigError(f"{source}: base_dir: unknown key")
    try:
        return TrialDesign.model_validate({**data, "base_dir": str(base_dir)})
    except ValidationError as exc:
        raise ConfigError(_format(exc, source)) from None


def list_examples() -> list[str]:
    """Names of the example designs shipped in ``oncodyn/trials/examples``."""
    from importlib import resources

    folder = resources.files("oncodyn.trials") / "examples"
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def example_text(name: str) -> str:
    """The TOML text of a shipped example design."""
    from importlib import resources

    if name not in list_examples():
        raise ConfigError(f"unknown trial example {name!r}; allowed: {', '.join(list_examples())} "
                          "(or a TRIAL.toml path)")
    return (resources.files("oncodyn.trials") / "examples" / f"{name}.toml").read_text(encoding="utf-8")


def load_design(name_or_path: str | Path) -> TrialDesign:
    """A shipped example by name, or a TRIAL.toml file (ConfigError naming file and key)."""
    s = str(name_or_path)
    p = Path(s)
    if s.endswith(".toml") or p.exists():
        from ..patients.config import read_toml

        if not p.is_file():
            raise ConfigError(f"trial file not found: {p}")
        return design_from_dict(read_toml(p, "trial"), source=str(p), base_dir=p.resolve().parent)
    return design_from_dict(tomllib.loads(example_text(s)), source=f"trial example {s}")


def _merge(base: dict[str, Any], over: dict[str, Any], where: str, source: str) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if k not in base:
            raise ConfigError(f"{source}: {where}.{k}: unknown scenario key; allowed: "
                              + ", ".join(sorted(base)))
        if isinstance(v, dict) and isinstance(base[k], dict):
            out[k] = _merge(base[k], v, f"{where}.{k}", source)
        elif isinstance(v, dict) and base[k] is None:
            out[k] = v  # e.g. chemo for a scenario without chemotherapy: defaults + these keys
        else:
            out[k] = v
    return out


def arm_scenario(design: TrialDesign, arm: str, *, source: str = "trial"):
    """The :class:`oncodyn.patients.config.Scenario` of one arm (scenario + untreated + overrides).

    The scenario is named ``<design name>:<arm>``; ConfigError names the arm's key on failure.
    """
    from ..patients.config import scenario_from_dict
    from ..scenarios import list_scenarios, load_scenario

    cfg = design.arms[arm]
    ref = cfg.scenario
    if ref not in list_scenarios() and design.base_dir and not Path(ref).is_absolute():
        cand = Path(design.base_dir) / ref
        ref = str(cand) if cand.exists() or ref.endswith(".toml") else ref
    try:
        base = load_scenario(ref)
    except ConfigError as exc:
        raise ConfigError(f"{source}: arms.{arm}.scenario: {exc}") from None
    data = base.model_dump(mode="python")
    if cfg.untreated:
        data["chemo"] = None
        data["radiation"] = []
    data = _merge(data, dict(cfg.overrides), f"arms.{arm}.overrides", source)
    data["name"] = f"{design.name}:{arm}"
    return scenario_from_dict(data, source=f"{source}: arms.{arm}")
