"""In French, every word a page shows is French: labels, texts, option names, metrics, tables
(page logic under Streamlit's AppTest harness; the figures are checked in test_app_figures)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

import oncodyn.app  # noqa: E402
from oncodyn.app.i18n import TEXT  # noqa: E402
from oncodyn.report.typography import NBSP  # noqa: E402

MAIN = str(Path(oncodyn.app.__file__).parent / "main.py")

#: English texts that are also correct French (same word in both languages).
SAME = {t["en"] for t in TEXT.values() if t["en"] == t["fr"]}


def _shown(at) -> list[str]:
    """Every string the page shows: texts, widget labels and options, metrics, table columns."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "success", "error",
                 "info", "warning"):
        out += [str(e.value) for e in getattr(at, kind)]
    for kind in ("selectbox", "radio", "number_input", "slider", "checkbox", "button",
                 "expander"):
        for w in getattr(at, kind):
            out.append(str(w.label))
            out += [str(o) for o in getattr(w, "options", [])]
    for m in at.metric:
        out += [str(m.label), str(m.value)]
    for df in at.dataframe:
        out += [str(c) for c in df.value.columns]
    return out


def _english_left(at) -> list[str]:
    """English texts of the app found on the page (whole texts, and their first words)."""
    shown = "\n".join(_shown(at))
    left = []
    for texts in TEXT.values():
        en = texts["en"]
        if en in SAME or len(en) < 5:
            continue
        probe = en.split("{")[0].strip()
        if len(probe) >= 5 and probe not in SAME and probe in shown:
            left.append(probe)
    return left


@pytest.fixture()
def app_fr():
    at = AppTest.from_file(MAIN, default_timeout=300)
    at.session_state["lang"] = "fr"
    at.run()
    assert not at.exception
    return at


def test_scenario_page_in_french_has_french_labels_options_and_metrics(app_fr):
    at = app_fr.switch_page("views/scenario.py").run()
    at.selectbox(key="sc_preset").set_value("nsclc_docetaxel").run()
    at.slider(key="sc_n").set_value(40)
    at.button(key="sc_run").click().run()
    assert not at.exception and not at.error
    assert _english_left(at) == []
    assert "Cancer du poumon non à petites cellules, docétaxel" in at.selectbox(
        key="sc_preset").options
    assert f"Toutes les 6{NBSP}semaines" in at.selectbox(key="sc_img_nsclc_docetaxel").options
    assert "Arrêt à la progression" in at.selectbox(key="sc_pol_nsclc_docetaxel").options
    assert "Survie sans progression" in at.radio(key="sc_figure").options
    labels = [m.label for m in at.metric]
    assert "Réponse objective (RC + RP)" in labels and "SSP médiane" in labels
    # percentages with a decimal comma and a no-break space before %
    orr = next(m.value for m in at.metric if m.label.startswith("Réponse objective"))
    assert orr.endswith(NBSP + "%") and "," in orr and "." not in orr
    for which in ("waterfall", "symptoms"):  # every figure can be chosen and drawn
        at.radio(key="sc_figure").set_value(which).run()
        assert not at.exception and not at.error


def test_trial_and_radiation_pages_in_french_have_no_english_left(app_fr):
    at = app_fr.switch_page("views/trial.py").run()
    at.slider(key="tr_n").set_value(40)
    at.button(key="tr_run").click().run()
    assert not at.exception and not at.error
    assert _english_left(at) == []
    assert any(m.label.startswith("Rapport des risques instantanés, survie sans progression")
               for m in at.metric)
    at.switch_page("views/radiation.py").run()
    assert not at.exception
    assert _english_left(at) == []
    schedules = at.dataframe[0].value["Schéma"].tolist()
    assert schedules[0] == f"25 × 1,8{NBSP}Gy"  # decimal comma, no-break space before the unit


def test_patient_page_in_french_shows_the_forecast_in_french_words(app_fr):
    at = app_fr.switch_page("views/patient.py").run()
    assert not at.exception
    assert _english_left(at) == []
    text = "\n".join(str(m.value) for m in at.markdown)
    assert "Au prochain examen" in text or "Pas de prévision" in "\n".join(
        e.value for e in at.error)
    at.radio(key="patient_figure").set_value("waterfall").run()
    assert not at.exception and not at.error
