"""The documentation site: it builds with warnings as errors, its generated references cover the
code, and every documentation pointer in messages, help texts and TOML comments resolves."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "oncodyn"
#: A pointer into the shipped documentation: ``docs/page.md`` with an optional ``#anchor``.
POINTER = re.compile(r"docs/([\w/-]+\.md)(?:#([\w-]+))?")
#: Pointers to files a user of oncodyn does not have (project notes, the shared folder, issues).
FOREIGN = re.compile(r"\b(?:RECIST|MODELS|ECOSYSTEM|PEERS|DESIGN)\.md\b|README-[\w-]+\.md"
                     r"|\bissue \d+|/work/shared|shared/(?:spec|reference)/")
_ID = re.compile(r"""\bid=["']([^"']+)["']""")


def _source_files() -> list[Path]:
    return sorted(p for p in SRC.rglob("*") if p.suffix in (".py", ".toml") and p.is_file())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built by ``mkdocs build --strict`` (any warning fails the build)."""
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin",
                               "HOME": str(out)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def _page_html(site: Path, page: str) -> Path:
    stem = page[:-3]
    return site / ("index.html" if stem == "index" else f"{stem}/index.html")


def _ids(site: Path, page: str) -> set[str]:
    return set(_ID.findall(_page_html(site, page).read_text(encoding="utf-8")))


def test_site_builds_strict_and_every_nav_page_is_rendered(site):
    for md in (REPO / "docs").rglob("*.md"):
        page = md.relative_to(REPO / "docs").as_posix()
        assert _page_html(site, page).is_file(), page


def test_every_docs_pointer_in_the_package_resolves_to_a_page_and_anchor(site):
    pointers = []
    for path in _source_files():
        for m in POINTER.finditer(path.read_text(encoding="utf-8")):
            pointers.append((path.relative_to(REPO), m.group(1), m.group(2)))
    assert len(pointers) >= 20, "the package should point users at its documentation"
    bad = []
    for where, page, anchor in pointers:
        if not (REPO / "docs" / page).is_file():
            bad.append(f"{where}: docs/{page} does not exist")
        elif anchor and anchor not in _ids(site, page):
            bad.append(f"{where}: docs/{page}#{anchor}: no such anchor")
    assert not bad, "\n".join(bad)


def test_no_message_points_at_files_users_do_not_have():
    hits = []
    for path in _source_files():
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if FOREIGN.search(line):
                hits.append(f"{path.relative_to(REPO)}:{i}: {line.strip()[:100]}")
    assert not hits, "point at docs/<page>.md#<anchor> instead:\n" + "\n".join(hits)


def test_cli_reference_lists_every_command_of_the_app(site):
    import typer

    from oncodyn.cli.main import app

    paths: list[str] = []

    def walk(cmd, path):
        paths.append("-".join(path))
        for name, sub in sorted((getattr(cmd, "commands", None) or {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), ["oncodyn"])
    assert {"oncodyn-simulate", "oncodyn-recist", "oncodyn-data-inspect"} <= set(paths)
    missing = sorted(set(paths) - _ids(site, "cli.md"))
    assert not missing, missing
    html = _page_html(site, "cli.md").read_text(encoding="utf-8")
    assert "--patients" in html and "Root seed" in html  # options and their help, not just names


def test_scenario_reference_lists_every_section_and_key_of_the_schema(site):
    from pydantic import BaseModel

    from oncodyn.patients.config import Scenario

    ids = _ids(site, "scenarios.md")
    html = _page_html(site, "scenarios.md").read_text(encoding="utf-8")
    for name, field in Scenario.model_fields.items():
        ann = field.annotation
        import typing

        cands = [ann, *typing.get_args(ann)]
        cands += [b for a in cands for b in typing.get_args(a)]
        nested = [c for c in cands if isinstance(c, type) and issubclass(c, BaseModel)]
        assert f"<code>{name}</code>" in html, name
        for model in nested:
            assert name in ids, f"section [{name}] has no anchor"
            for key in model.model_fields:
                assert f"<code>{key}</code>" in html, f"{name}.{key}"
    for preset in ("nsclc_docetaxel", "bladder_chemoradiation_brachy"):
        assert preset in html


def test_model_reference_lists_every_registered_model_with_its_parameters(site):
    from oncodyn.models import get_model, list_models

    ids = _ids(site, "models.md")
    html = _page_html(site, "models.md").read_text(encoding="utf-8")
    for name in list_models():
        assert name.replace("_", "-") in ids, name
        for p in get_model(name).parameters:
            assert f"<code>{p.name}</code>" in html, f"{name}.{p.name}"


def test_recist_page_has_an_anchor_for_every_rule_and_option(site):
    import dataclasses

    from oncodyn.recist import RecistOptions

    ids = _ids(site, "recist.md")
    assert {f"r{i}" for i in range(15)} <= ids
    cited = set()
    for path in _source_files():
        cited |= set(re.findall(r"\bR(\d{1,2})\.(\d{1,2})\b", path.read_text(encoding="utf-8")))
    missing = sorted(f"R{a}.{b}" for a, b in cited if f"r{a}-{b}" not in ids)
    assert not missing, f"rules cited in the code but not described: {missing}"
    html = _page_html(site, "recist.md").read_text(encoding="utf-8")
    for f in dataclasses.fields(RecistOptions):
        assert f"<code>{f.name}</code>" in html, f.name


def test_the_docs_do_not_depend_on_the_shared_folder():
    for md in (REPO / "docs").rglob("*"):
        if md.suffix in (".md", ".py"):
            assert not FOREIGN.search(md.read_text(encoding="utf-8")), md


def test_license_file_is_mit_as_pyproject_declares():
    import tomllib

    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "WITHOUT WARRANTY OF ANY KIND" in text
    meta = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["license"]["text"] == "MIT"
