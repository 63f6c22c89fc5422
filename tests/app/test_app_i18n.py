"""Both languages have every text, with the same fields."""

from __future__ import annotations

import string

from oncodyn.app.i18n import TEXT, t
from oncodyn.report.typography import NBSP


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_key_has_english_and_french_with_the_same_fields():
    for key, texts in TEXT.items():
        assert set(texts) == {"en", "fr"}, key
        assert _fields(texts["en"]) == _fields(texts["fr"]), key


def test_french_texts_get_french_punctuation_and_filled_fields():
    out = t("upload_error", "fr", message="colonne manquante")
    assert out == f"Ce fichier n'a pas pu être utilisé{NBSP}: colonne manquante"
    assert t("upload_error", "en", message="x") == "This file could not be used: x"


def test_every_text_is_used_by_a_page_or_the_option_names():
    from pathlib import Path

    import oncodyn.app

    root = Path(oncodyn.app.__file__).parent
    code = "\n".join(p.read_text() for p in root.rglob("*.py") if p.name != "i18n.py")
    prefixes = ("preset_", "schedule_", "policy_", "fig_", "source_", "km_")  # built keys
    unused = [k for k in TEXT if f'"{k}"' not in code and not k.startswith(prefixes)
              and k not in ("none", "hdr", "ldr")]  # radio options of the Radiation page
    assert unused == []
