"""Page logic under Streamlit's headless AppTest harness (no browser)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

import oncodyn.app  # noqa: E402

MAIN = str(Path(oncodyn.app.__file__).parent / "main.py")


@pytest.fixture()
def app():
    at = AppTest.from_file(MAIN, default_timeout=120)
    at.run()
    assert not at.exception
    return at


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [s.value for s in at.success]
    parts += [c.value for c in at.caption] + [h.value for h in at.title]
    parts += [e.value for e in at.error]
    return "\n".join(map(str, parts))


def test_radiation_page_sums_external_beam_and_brachytherapy_in_both_languages(app):
    app.switch_page("views/radiation.py").run()
    assert not app.exception
    assert "Total BED 100.7\u00a0Gy, EQD2 83.9\u00a0Gy" in _texts(app)
    app.session_state["lang"] = "fr"
    app.run()
    text = _texts(app)
    assert "BED totale 100,7\u00a0Gy, EQD2 83,9\u00a0Gy" in text
    assert "Logiciel de recherche" in text and "Total BED" not in text


def test_scenario_page_runs_virtual_patients_and_shows_the_endpoints(app):
    app.switch_page("views/scenario.py").run()
    app.slider(key="sc_n").set_value(60)
    app.button(key="sc_run").click().run()
    assert not app.exception
    labels = [m.label for m in app.metric]
    assert "Objective response (CR + PR)" in labels and "Median PFS" in labels
    assert not app.error


def test_an_invalid_setting_is_a_message_on_the_page_not_an_exception(app):
    app.switch_page("views/scenario.py").run()
    app.selectbox(key="sc_preset").set_value("nsclc_docetaxel").run()
    app.number_input(key="sc_cycle_nsclc_docetaxel").set_value(1)
    app.number_input(key="sc_dose_nsclc_docetaxel").set_value(0.0)
    app.button(key="sc_run").click().run()
    assert not app.exception
    assert any("not valid" in e.value for e in app.error)


def test_trial_page_compares_two_arms_with_hazard_ratios(app):
    app.switch_page("views/trial.py").run()
    app.slider(key="tr_n").set_value(60)
    app.button(key="tr_run").click().run()
    assert not app.exception and not app.error
    labels = [m.label for m in app.metric]
    assert any(lab.startswith("Hazard ratio, progression-free survival") for lab in labels)
    app.session_state["lang"] = "fr"
    app.run()
    assert any(m.label.startswith("Rapport des risques instantanés") for m in app.metric)


def test_patient_page_evaluates_the_bundled_example(app):
    app.switch_page("views/patient.py").run()
    assert not app.exception
    assert app.selectbox(key="patient_subject").value.startswith("VP-")
    assert len(app.dataframe) >= 2  # best response counts and the chosen patient's time points
