"""The app's figures speak the page's language: axis titles, legends (symptom components,
response categories, thresholds, arms), at-risk tables and decimal commas in French."""

from __future__ import annotations

import re

import matplotlib
import pytest

matplotlib.use("Agg")

from oncodyn.app import figures, services  # noqa: E402
from oncodyn.plot.treatment import SYMPTOM_COMPONENTS  # noqa: E402

#: English words of the plotting library that must not survive in a French figure.
ENGLISH = ["all patients", "at risk", "months", "weeks", "response", "disease",
           "baseline", "tumour", "neutropenia", "side effects", "mean score", "MID", "Subject",
           "Waterfall", "survival", "on treatment", "median", *SYMPTOM_COMPONENTS.values()]


def _texts(ax) -> list[str]:
    ax.figure.canvas.draw()
    out = [ax.get_xlabel(), ax.get_ylabel(), ax.get_title()]
    out += [t.get_text() for t in ax.texts]
    out += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    leg = ax.get_legend()
    if leg is not None:
        out += [leg.get_title().get_text()] + [t.get_text() for t in leg.get_texts()]
    return [t for t in out if t]


def _english_in(texts: list[str]) -> list[str]:
    joined = "\n".join(texts)
    return [w for w in ENGLISH if re.search(re.escape(w), joined, re.IGNORECASE)]


@pytest.fixture(scope="module")
def cohort():
    s = services.scenario_settings("nsclc_docetaxel")
    return services.run_scenario(s, 60, 2)


@pytest.fixture(scope="module")
def recist():
    return services.recist_result(services.example_lesions(n_patients=8, seed=2))


@pytest.fixture(scope="module")
def trial():
    arms = [{"label": "A", "preset": "nsclc_docetaxel", "dose_scale": 0.0},
            {"label": "B", "preset": "nsclc_docetaxel", "dose_scale": 1.0}]
    return services.run_two_arm_trial(arms, 30, 3)


def _draw_all(cohort, recist, trial, lang):
    yield "burden", figures.burden_figure(cohort, lang)
    yield "waterfall", figures.sim_waterfall_figure(cohort, lang)
    yield "km_pfs", figures.km_figure(cohort, lang, "pfs")
    yield "km_os", figures.km_figure(cohort, lang, "os")
    yield "symptoms", figures.symptoms_figure(cohort, lang)
    yield "spider", figures.spider_figure(recist, lang)
    yield "recist_waterfall", figures.waterfall_figure(recist, lang)
    yield "trial_km", figures.km_by_arm_figure(trial, lang, "pfs")


def test_french_figures_have_no_english_words_left(cohort, recist, trial):
    import matplotlib.pyplot as plt

    for name, ax in _draw_all(cohort, recist, trial, "fr"):
        left = _english_in(_texts(ax))
        plt.close(ax.figure)
        assert left == [], f"{name}: English left in French figure: {left}"


def test_english_figures_keep_their_english_words(cohort, recist, trial):
    # the same probe finds the English words in English figures: it can fail
    import matplotlib.pyplot as plt

    found = set()
    for _, ax in _draw_all(cohort, recist, trial, "en"):
        found |= set(_english_in(_texts(ax)))
        plt.close(ax.figure)
    assert {"all patients", "months", "tumour", "mean score", "on treatment"} <= found


def test_french_figures_translate_the_legends_and_use_decimal_commas(cohort, trial):
    import matplotlib.pyplot as plt

    sym = figures.symptoms_figure(cohort, "fr")
    legend = [t.get_text() for t in sym.get_legend().get_texts()]
    assert "neutropénie" in legend and "effets indésirables de la chimiothérapie" in legend
    assert len(legend) == len(SYMPTOM_COMPONENTS) + 2  # components, mean score, MID bracket
    plt.close(sym.figure)
    km = figures.km_by_arm_figure(trial, "fr", "os")
    texts = _texts(km)
    assert "À risque" in texts and "0,2" in texts and "0.2" not in texts
    assert any(t.startswith("Bras A") for t in texts)
    plt.close(km.figure)
