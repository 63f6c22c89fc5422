"""One patient's plain-language report: numbers from the RECIST result, both languages,
HTML and PDF, the disclaimer, French typography."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncodyn.population.next_scan import NextScanForecast
from oncodyn.recist import evaluate
from oncodyn.report.case import case_facts, case_html, case_paragraphs, case_pdf
from oncodyn.report.typography import NBSP


def _lesions() -> pd.DataFrame:
    """One subject, two targets: 40 + 30 = 70 mm, then 45 mm (-35.7 %, PR), then 60 mm (PD:
    +33 % and +15 mm over the 45 mm nadir)."""
    rows = []
    for tp, (day, (a, b)) in enumerate([(0, (40, 30)), (42, (25, 20)), (84, (35, 25))]):
        for lid, v in (("T1", a), ("T2", b)):
            rows.append({"subject_id": "P1", "tp": tp, "day": day, "lesion_id": lid,
                         "role": "TARGET", "organ": "lung", "ld_mm": float(v)})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def facts():
    return case_facts(evaluate(_lesions()), "P1")


FC = NextScanForecast(t_next=126.0, point=66.0, lo80=58.0, hi80=75.0, lo95=53.0, hi95=81.0,
                  p_pd=0.83, model="stein_gd", n_cohort=40, n_scans=3)


def test_facts_are_the_recist_numbers(facts):
    assert facts["base"] == 70 and facts["nadir"] == 45 and facts["last"] == 60
    assert facts["change"] == pytest.approx(100 * (60 / 70 - 1))
    assert [p["overall"] for p in facts["timepoints"]] == ["PR", "PD"]


def test_english_report_says_what_the_scans_show_and_what_recist_concluded(facts):
    text = "\n".join(p for _, ps in case_paragraphs(facts, "en", FC) for p in ps)
    assert "70\u00a0mm in total" in text and "60\u00a0mm" in text and "\u221214%" in text
    assert "Week 6: partial response" in text and "Week 12: progressive disease" in text
    assert "about 83%" in text and "between 58\u00a0mm and 75\u00a0mm" in text
    assert "a brake on metastases, not an eraser" in text


def test_french_report_uses_french_words_and_typography(facts):
    text = "\n".join(p for _, ps in case_paragraphs(facts, "fr", FC) for p in ps)
    assert f"d'environ 83{NBSP}%" in text
    assert f"Semaine 6{NBSP}: réponse partielle" in text
    assert "freine les métastases" in text
    for english in ("response", "scan", "baseline", "forecast"):
        assert english not in text.lower()


def test_html_is_self_contained_with_the_disclaimer_and_pdf_is_a_pdf(facts):
    page = case_html(facts, "fr", None, "pas assez d'examens")
    assert page.startswith("<!DOCTYPE html>") and "lang='fr'" in page
    assert "Logiciel de recherche" in page and "data:image/png;base64," in page
    assert "http" not in page.split("<body>")[1]  # no external resource
    pdf = case_pdf(facts, "en", FC)
    assert pdf[:5] == b"%PDF-" and len(pdf) > 5_000


def test_subject_without_targets_gets_a_short_scan_paragraph():
    les = pd.DataFrame({"subject_id": ["Q"] * 2, "tp": [0, 1], "day": [0, 42],
                        "lesion_id": ["N1"] * 2, "role": ["NON-TARGET"] * 2,
                        "organ": ["liver"] * 2, "state": ["PRESENT"] * 2})
    f = case_facts(evaluate(les), "Q")
    assert "base" not in f
    paras = case_paragraphs(f, "en")
    assert "no measurable target lesion" in paras[0][1][0]
    assert np.isnan(f["timepoints"][0]["sod"]) or f["timepoints"][0]["sod"] == 0
