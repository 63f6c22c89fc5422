"""Numbers and punctuation in plain English and in French.

French typography follows the *Lexique des règles typographiques en usage à l'Imprimerie
nationale* (2002): decimal comma, a narrow no-break space (U+202F) as the thousands separator, a
no-break space (U+00A0) between a number and ``%`` or a unit, and before ``:`` (U+00A0) and
``;``, ``?``, ``!`` (U+202F); guillemets « » with no-break spaces inside. English uses a decimal
point, a comma as the thousands separator and no space before ``%``.

One implementation for every text oncodyn writes in French (reports, the web app, the demo).
"""

from __future__ import annotations

import math
import re

NBSP = "\u00a0"
NNBSP = "\u202f"
LANGS = ("en", "fr")


def check_lang(lang: str) -> str:
    """Return ``lang`` if supported (``"en"`` or ``"fr"``), else raise ``ValueError``."""
    if lang not in LANGS:
        raise ValueError(f"language {lang!r} not supported; choose one of {', '.join(LANGS)}")
    return lang


def number(x: float, lang: str, digits: int = 1) -> str:
    """``x`` with ``digits`` decimals: ``1,234.5`` (en) or ``1 234,5`` (fr, narrow no-break space).

    Non-finite values are written as a dash.
    """
    check_lang(lang)
    if x is None or not math.isfinite(float(x)):
        return "–"
    text = f"{float(x):,.{digits}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]
    if lang == "fr":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", NNBSP)
    return text


def integer(x: int, lang: str) -> str:
    """An integer with the thousands separator of ``lang``."""
    return number(x, lang, 0)


def percent(x: float, lang: str, digits: int = 0, *, signed: bool = False) -> str:
    """A percentage (``x`` in percent units): ``14%`` (en) or ``14 %`` (fr, no-break space).

    ``signed`` writes an explicit ``+`` for positive values (changes from baseline).
    """
    text = number(x, lang, digits)
    if signed and text != "–" and float(x) > 0 and not text.startswith("+"):
        text = "+" + text
    if text.startswith("-"):
        text = "\u2212" + text[1:]  # a true minus sign
    return text + (NBSP + "%" if lang == "fr" else "%")


def quantity(x: float, unit: str, lang: str, digits: int = 0) -> str:
    """A number and its unit joined by a no-break space: ``12 mm``, ``1,5 Gy``."""
    return number(x, lang, digits) + NBSP + unit


_FR_HIGH = re.compile(r"\s*([;?!])")
_FR_COLON = re.compile(r"(?<=\S)\s*:(?=\s|$)")
_FR_NUM_UNIT = re.compile(r"(\d) (%|mm|cm|Gy|mg|mois|semaines|jours|h)(?=\W|$)")


def french_punctuation(text: str) -> str:
    """Put the no-break spaces French typography requires before ``: ; ? !``, inside « » and
    between a number and its unit or ``%``.

    URLs (``://``) and times (``12:30``) are left alone: the colon rule only applies to a colon
    followed by a space or the end of the text.
    """
    out = _FR_NUM_UNIT.sub(lambda m: m.group(1) + NBSP + m.group(2), text)
    out = _FR_COLON.sub(NBSP + ":", out)
    out = _FR_HIGH.sub(lambda m: NNBSP + m.group(1), out)
    out = re.sub(r"«\s*", "«" + NBSP, out)
    out = re.sub(r"\s*»", NBSP + "»", out)
    return out
