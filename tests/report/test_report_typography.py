"""French and English number typography (one implementation for every text oncodyn writes)."""

from __future__ import annotations

import pytest

from oncodyn.report.typography import NBSP, NNBSP, french_punctuation, number, percent, quantity


def test_french_numbers_use_a_decimal_comma_and_a_narrow_no_break_thousands_space():
    assert number(1234.56, "fr", 1) == f"1{NNBSP}234,6"
    assert number(1234.56, "en", 1) == "1,234.6"
    assert number(0.5, "fr", 2) == "0,50"


def test_percent_has_a_no_break_space_in_french_only_and_a_true_minus_sign():
    assert percent(14, "fr") == f"14{NBSP}%"
    assert percent(14, "en") == "14%"
    assert percent(-23.46, "en", 1) == "\u221223.5%"
    assert percent(12, "fr", signed=True) == f"+12{NBSP}%"
    assert percent(-0.01, "en", 0) == "0%"  # no "-0%"


def test_units_are_joined_by_a_no_break_space():
    assert quantity(1.5, "Gy", "fr", 1) == f"1,5{NBSP}Gy"
    assert quantity(74, "mm", "en") == f"74{NBSP}mm"


def test_french_punctuation_spaces_before_high_signs_but_not_in_urls_or_times():
    text = french_punctuation("Résultat: oui; vraiment? «bien» http://x.fr à 12:30")
    assert text == (f"Résultat{NBSP}: oui{NNBSP}; vraiment{NNBSP}? «{NBSP}bien{NBSP}» "
                    "http://x.fr à 12:30")


def test_non_finite_values_are_a_dash_and_unknown_languages_are_refused():
    assert number(float("nan"), "en") == "–"
    with pytest.raises(ValueError, match="not supported"):
        number(1.0, "de")
