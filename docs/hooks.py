"""MkDocs hooks: reference pages generated from the code at build time.

A page asks for a generated block with a marker on its own line:

* ``<!-- oncodyn:cli -->``: every command of the ``oncodyn`` typer app, its usage, help text and
  options (from the app itself, so new commands appear without editing the docs);
* ``<!-- oncodyn:scenario-schema -->``: every key of a scenario TOML file with its type, default
  and bounds (from the pydantic models of :mod:`oncodyn.patients.config`) and the notes the
  shipped presets give for that key;
* ``<!-- oncodyn:presets -->``: the preset scenarios and their descriptions;
* ``<!-- oncodyn:models -->``: every registered model with its parameters, units, defaults, bounds
  and sources (from :mod:`oncodyn.models`);
* ``<!-- oncodyn:recist-options -->``: the RECIST engine's options and defaults (from
  :class:`oncodyn.recist.RecistOptions`).

Nothing is written to ``docs/``: the blocks are substituted in memory, so the pages cannot go
stale. Generated headings carry explicit anchors (``{#...}``) that messages in ``src/`` point to.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import re
import tomllib
import typing
from typing import Any

_MARKER = re.compile(r"^<!-- oncodyn:([a-z-]+) -->$", re.MULTILINE)


def _cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    s = " ".join(str(text).split())
    return s.replace("|", "\\|") if s else " "


_ROLE = re.compile(r":(?:class|data|func|mod|meth|attr):`~?([^`]+)`")


def _doc(obj: Any) -> str:
    """A docstring as Markdown: Sphinx roles become code spans."""
    return _ROLE.sub(r"`\1`", inspect.getdoc(obj) or "")


def _num(x: Any) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float):
        if math.isinf(x):
            return "∞" if x > 0 else "−∞"
        return f"{x:g}"
    return str(x)


# --------------------------------------------------------------------------- CLI
def _cli_reference() -> str:
    import typer

    from oncodyn.cli.main import app

    root = typer.main.get_command(app)
    out: list[str] = []

    def walk(cmd: Any, path: list[str], level: int) -> None:
        name = " ".join(path)
        anchor = "-".join(path)
        ctx = cmd.context_class(cmd, info_name=path[-1])
        usage = " ".join([name, *cmd.collect_usage_pieces(ctx)])
        out.append(f"{'#' * level} `{name}` {{#{anchor}}}\n")
        if cmd.help:
            out.append(inspect.cleandoc(cmd.help) + "\n")
        out.append(f"```text\n{usage}\n```\n")
        params = [p for p in cmd.params if not getattr(p, "hidden", False)]
        if params:
            out.append("| argument or option | value | default | meaning |")
            out.append("|---|---|---|---|")
            for p in params:
                is_opt = getattr(p, "param_type_name", "") == "option"
                names = " / ".join(f"`{o}`" for o in [*p.opts, *getattr(p, "secondary_opts", [])])
                if not is_opt:
                    names = f"`{p.name.upper()}`"
                flag = bool(getattr(p, "is_flag", False))
                value = "flag" if flag else _cell(p.display_type(ctx).strip("<>"))
                rng = getattr(p, "_get_number_range_help_str", lambda: None)()
                if rng and not flag:
                    value += f" ({rng})"
                if p.required:
                    default = "required"
                elif p.default is None or callable(p.default) or (flag and p.default is False
                                                                  and not p.secondary_opts):
                    default = " "
                elif flag and p.secondary_opts:
                    default = f"`{(p.opts if p.default else p.secondary_opts)[0]}`"
                else:
                    default = f"`{_cell(p.default)}`"
                out.append(f"| {names} | {value} | {default} | {_cell(getattr(p, 'help', '') or '')} |")
            out.append("")
        sub = getattr(cmd, "commands", None)
        if isinstance(sub, dict):
            for key in sorted(sub):
                walk(sub[key], [*path, key], min(level + 1, 4))

    walk(root, ["oncodyn"], 2)
    return "\n".join(out)


# --------------------------------------------------------------------------- scenario schema
def _preset_notes() -> dict[str, list[tuple[str, str]]]:
    """``dotted.key -> [(preset, 'value  # comment'), ...]`` read from the preset TOML files."""
    from oncodyn.scenarios import list_scenarios, scenario_text

    notes: dict[str, list[tuple[str, str]]] = {}
    header = re.compile(r"^\s*\[\[?([A-Za-z0-9_.]+)\]\]?\s*(#.*)?$")
    keyval = re.compile(r"^\s*([A-Za-z0-9_]+)\s*=\s*(.+?)\s*#\s*(.+)$")
    for name in list_scenarios():
        section = ""
        for line in scenario_text(name).splitlines():
            if m := header.match(line):
                section = m.group(1)
                continue
            if (m := keyval.match(line)) is None:
                continue
            key = f"{section}.{m.group(1)}" if section else m.group(1)
            notes.setdefault(key, []).append((name, f"{m.group(2)} — {m.group(3)}"))
    return notes


def _type_and_models(annotation: Any) -> tuple[str, list[type], bool]:
    """Readable type, nested pydantic models, and whether it is a list of tables."""
    from pydantic import BaseModel

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table", [annotation], False
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{a!r}`".replace("'", '"') for a in args), [], False
    if origin in (list, tuple):
        inner, models, _ = _type_and_models(args[0]) if args else ("value", [], False)
        if models:
            return "array of tables", models, True
        return f"list of {inner}", [], False
    if origin is dict:
        k, _, _ = _type_and_models(args[0])
        v, _, _ = _type_and_models(args[1])
        return f"table {k} → {v}", [], False
    if args and type(None) in args:  # optional
        rest = [a for a in args if a is not type(None)]
        parts = [_type_and_models(a) for a in rest]
        return (" or ".join(p[0] for p in parts) + " (optional)",
                [m for p in parts for m in p[1]], any(p[2] for p in parts))
    if args:  # other unions
        parts = [_type_and_models(a) for a in args]
        return " or ".join(p[0] for p in parts), [m for p in parts for m in p[1]], False
    names = {str: "string", int: "integer", float: "number", bool: "true/false"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation))), [], False


def _bounds(field: Any) -> str:
    sym = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤"}
    parts = []
    for meta in field.metadata:
        for attr, s in sym.items():
            v = getattr(meta, attr, None)
            if v is not None:
                parts.append(f"{s} {_num(v)}")
    return ", ".join(parts)


def _default(field: Any) -> str:
    from pydantic import BaseModel

    if field.is_required():
        return "required"
    d = field.get_default(call_default_factory=True)
    if isinstance(d, BaseModel):
        return "(table below)"
    if d is None:
        return "none"
    if isinstance(d, str):
        return f'`"{d}"`' if d else '`""`'
    if isinstance(d, list | dict) and not d:
        return "empty"
    return f"`{_cell(_num(d) if not isinstance(d, list | dict) else d)}`"


def _scenario_schema() -> str:
    from oncodyn.patients.config import Scenario

    notes = _preset_notes()
    out: list[str] = []
    done: set[tuple[str, type]] = set()

    def table(model: type, path: str, level: int, array: bool) -> None:
        if (path, model) in done:
            return
        done.add((path, model))
        title = "top level" if not path else (f"[[{path}]]" if array else f"[{path}]")
        anchor = "top-level" if not path else path.replace(".", "-")
        out.append(f"{'#' * level} `{title}` {{#{anchor}}}\n")
        doc = _doc(model)
        if doc and model.__module__.startswith("oncodyn") and not doc.startswith("!!!"):
            out.append(doc + "\n")
        if array:
            out.append("An array of tables: repeat the header once per item.\n")
        out.append("| key | type | default | allowed | in the presets |")
        out.append("|---|---|---|---|---|")
        nested: list[tuple[str, type, bool]] = []
        for key, field in model.model_fields.items():
            typ, models, arr = _type_and_models(field.annotation)
            dotted = f"{path}.{key}" if path else key
            for m in models:
                nested.append((dotted, m, arr))
            example = notes.get(dotted, [])
            ex = "<br>".join(f"*{p}*: `{_cell(v.split(' — ')[0])}` — {_cell(v.split(' — ', 1)[1])}"
                             for p, v in example[:2])
            out.append(f"| `{key}` | {_cell(typ)} | "
                       f"{_default(field)} | {_cell(_bounds(field))} | {ex or ' '} |")
        out.append("")
        for dotted, m, arr in nested:
            table(m, dotted, 3, arr)

    table(Scenario, "", 3, False)
    return "\n".join(out)


def _presets() -> str:
    from oncodyn.scenarios import list_scenarios, scenario_text

    out = ["| preset | description |", "|---|---|"]
    for name in list_scenarios():
        desc = tomllib.loads(scenario_text(name)).get("description", "")
        out.append(f"| `{name}` | {_cell(desc)} |")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- models
def _models() -> str:
    from oncodyn.models import get_model, list_models

    out: list[str] = []
    for kind in ("growth", "response", "pk", "toxicity"):
        names = list_models(kind)
        if not names:
            continue
        out.append(f"## {kind.capitalize()} models {{#{kind}-models}}\n")
        for name in names:
            m = get_model(name)
            out.append(f"### `{name}`: {m.title} {{#{name.replace('_', '-')}}}\n")
            if m.equation:
                out.append(f"```text\n{m.equation}\n```\n")
            form = "closed form and ODE" if m.has_closed_form else "ODE only"
            out.append(f"States: {', '.join(m.states)}; inputs: {', '.join(m.inputs) or 'none'}; "
                       f"{form}.\n")
            out.append(f"**Source.** {m.reference or 'not given'}\n")
            out.append("| parameter | unit | default | bounds | meaning | source of the default |")
            out.append("|---|---|---|---|---|---|")
            for p in m.parameters:
                out.append(f"| `{p.name}` | {_cell(p.unit)} | {_num(p.default)} | "
                           f"[{_num(p.lower)}, {_num(p.upper)}] | {_cell(p.description)} | "
                           f"{_cell(p.source)} |")
            out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------- RECIST options
def _recist_options() -> str:
    from oncodyn.recist import RecistOptions

    doc = _doc(RecistOptions)
    text = doc.split("Attributes\n----------\n", 1)[-1]
    meaning: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        if line and not line.startswith(" "):
            current = line.split(" : ")[0].strip()
            meaning[current] = ""
        elif current:
            meaning[current] += " " + line.strip()
    out = ["| option | default | meaning |", "|---|---|---|"]
    for f in dataclasses.fields(RecistOptions):
        d = getattr(RecistOptions(), f.name)
        if dataclasses.is_dataclass(d):
            d = ", ".join(f"{k} = {_num(v)}" for k, v in dataclasses.asdict(d).items())
        out.append(f"| `{f.name}` | `{_cell(_num(d))}` | "
                   f"{_cell(meaning.get(f.name, ''))} |")
    return "\n".join(out) + "\n"


_GENERATORS = {
    "cli": _cli_reference,
    "scenario-schema": _scenario_schema,
    "presets": _presets,
    "models": _models,
    "recist-options": _recist_options,
}


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace every ``<!-- oncodyn:NAME -->`` marker by its generated block."""

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in _GENERATORS:
            raise ValueError(f"{page.file.src_path}: unknown generated block {name!r}; "
                             f"known: {', '.join(_GENERATORS)}")
        return _GENERATORS[name]()

    return _MARKER.sub(sub, markdown)
