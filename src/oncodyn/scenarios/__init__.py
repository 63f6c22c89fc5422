"""Preset scenarios shipped with oncodyn (TOML package data) and the loader.

``list_scenarios()`` names them; ``load_scenario(name_or_path)`` returns a validated
:class:`oncodyn.patients.config.Scenario` from a preset name or a user TOML file.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..errors import ConfigError
from ..patients.config import Scenario, load_scenario_file, scenario_from_dict


def _files() -> dict[str, object]:
    root = resources.files(__name__)
    return {p.name[:-5]: p for p in root.iterdir() if p.name.endswith(".toml")}


def list_scenarios() -> list[str]:
    """Names of the preset scenarios."""
    return sorted(_files())


def scenario_text(name: str) -> str:
    """The TOML text of a preset (ConfigError naming the presets if unknown)."""
    files = _files()
    if name not in files:
        raise ConfigError(f"unknown scenario {name!r}; allowed: {', '.join(sorted(files))}")
    return files[name].read_text(encoding="utf-8")  # type: ignore[attr-defined]


def load_scenario(name_or_path: str | Path | Scenario) -> Scenario:
    """A preset by name, a scenario TOML file, or a Scenario (returned as is)."""
    if isinstance(name_or_path, Scenario):
        return name_or_path
    s = str(name_or_path)
    if s.endswith(".toml") or Path(s).exists():
        p = Path(s)
        if not p.exists():
            raise ConfigError(f"scenario file not found: {p}")
        return load_scenario_file(p)
    import tomllib

    return scenario_from_dict(tomllib.loads(scenario_text(s)), source=f"preset {s}")
