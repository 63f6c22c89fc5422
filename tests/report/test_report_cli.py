"""``oncodyn report``: one patient's report from a lesion file, HTML or PDF, English or French."""

from __future__ import annotations

import subprocess
import sys

import pytest

from oncodyn.app.services import example_lesions


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "oncodyn.cli.main", *args],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def lesions(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "lesions.csv"
    example_lesions(n_patients=24, seed=11).lesions.to_csv(path, index=False)
    return path


def test_french_html_report_has_the_forecast_and_french_typography(lesions, tmp_path):
    out = tmp_path / "rapport.html"
    r = _run("report", str(lesions), "--subject", "VP-001", "--lang", "fr", "--out", str(out))
    assert r.returncode == 0, r.stderr
    page = out.read_text(encoding="utf-8")
    assert "Compte rendu : patient VP-001".replace(" :", "\u00a0:") in page
    assert "Ce que le modèle prévoit au prochain examen" in page
    assert "8 fois sur 10" in page or "Aucune prévision" in page
    assert "\u00a0%" in page and "Logiciel de recherche" in page


def test_pdf_report_and_refusals(lesions, tmp_path):
    out = tmp_path / "report.pdf"
    r = _run("report", str(lesions), "--subject", "VP-002", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:5] == b"%PDF-"
    again = _run("report", str(lesions), "--subject", "VP-002", "--out", str(out))
    assert again.returncode == 2 and "exists" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
    missing = _run("report", str(lesions), "--subject", "NOPE", "--out", str(tmp_path / "x.html"))
    assert missing.returncode == 2 and "not found" in missing.stderr
    assert not (tmp_path / "x.html").exists()
    bad = _run("report", str(lesions), "--subject", "VP-002", "--out", str(tmp_path / "x.docx"))
    assert bad.returncode == 2 and "html or pdf" in bad.stderr
