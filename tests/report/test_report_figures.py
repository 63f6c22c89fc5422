"""Figures of the demo: what each one draws matches what it says (points, ticks, clipping,
legends, language)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import re

import numpy as np
import pandas as pd
import pytest

from oncodyn.report.story_text import LABELS


def _texts(fig) -> list[str]:
    from matplotlib.text import Text

    fig.canvas.draw()
    return [t.get_text() for t in fig.findobj(Text) if t.get_text().strip()]


def test_fit_panel_marks_every_calibration_point():
    from oncodyn.plot import fit_panel

    t = np.arange(8) * 42.0
    y = np.linspace(20, 30, 8)
    curves = {name: (t, y) for name in ("exponential", "gompertz", "bertalanffy")}
    ax = fit_panel(t, y, curves, n_fit=6)
    pts = {ln.get_gid(): ln for ln in ax.lines if str(ln.get_gid()).startswith("points:")}
    assert len(pts["points:fit"].get_xdata()) == 6
    assert len(pts["points:held_out"].get_xdata()) == 2


@pytest.mark.parametrize("decimal", [".", ","])
def test_log_axis_ticks_are_plain_numbers(decimal):
    from oncodyn.plot import cohort_bands

    days = np.arange(0, 365, 7.0)
    rng = np.random.default_rng(0)
    arms = {"a": np.exp(rng.normal(0, 0.1, (30, days.size)).cumsum(axis=1) * 0.2)}
    ax = cohort_bands(days, arms, log=True, decimal=decimal)
    labels = _texts(ax.figure)
    ticks = [t.get_text() for t in (*ax.yaxis.get_majorticklabels(), *ax.yaxis.get_minorticklabels())
             if t.get_text()]
    assert ticks, labels
    for s in ticks:
        assert "10^" not in s and "times" not in s and "×" not in s, s
        float(s.replace(",", "."))  # a plain number
        assert ("." not in s) if decimal == "," else ("," not in s)


def _spider_data(values: list[list[float]], overall: list[list[str]]) -> dict:
    rows = []
    for sid, (vals, ov) in enumerate(zip(values, overall, strict=True)):
        rows.append({"subject_id": str(sid), "tp": 0, "day": 0.0, "overall": "",
                     "pct_change_from_baseline": 0.0})
        for k, (v, o) in enumerate(zip(vals, ov, strict=True), 1):
            rows.append({"subject_id": str(sid), "tp": k, "day": 42.0 * k, "overall": o,
                         "pct_change_from_baseline": v})
    tp = pd.DataFrame(rows)
    br = pd.DataFrame({"subject_id": [str(i) for i in range(len(values))],
                       "bor": ["PD"] * len(values), "best_pct_change": [0.0] * len(values)})
    return {"tp_few": tp, "br": br, "n_few": len(values), "drawn_bor": ["PD"]}


def test_spider_counts_only_points_it_draws_above_the_cap():
    from oncodyn.report.story_figures import fig_spider

    # points after the first PD are not drawn: +400% must not be reported or cap the axis
    fig = fig_spider(_spider_data([[30.0, 400.0]], [["PD", "PD"]]), "en")
    assert not [t for t in _texts(fig) if "not shown" in t]
    ax = fig.axes[0]
    assert ax.get_ylim()[1] < 150
    # two drawn points above +150%: said, and the axis is capped there
    fig = fig_spider(_spider_data([[160.0, 170.0, 175.0]], [["SD", "SD", "PD"]]), "en")
    said = [t for t in _texts(fig) if "not shown" in t]
    assert said == ["3 point(s) above +150% not shown (max +175%)"]
    assert fig.axes[0].get_ylim()[1] == 150
    labels = fig.axes[0].get_legend().get_texts()
    assert {"scan", "overall progression (PD)"} <= {t.get_text() for t in labels}
    assert fig.axes[0].get_xlabel().startswith("weeks")


@pytest.fixture(scope="module")
def story_data():
    """The demo's drawing data for a small cohort (no files written)."""
    from oncodyn.report.story_demo import compute_story

    return compute_story(seed=5, n_patients=12).draw


def test_french_figures_carry_no_english_label(story_data):
    from oncodyn.report.story_figures import FIGURE_FUNCTIONS

    english = {v for k, v in LABELS["en"].items()
               if "{" not in v and v != LABELS["fr"][k] and len(v) > 3}
    for name, draw in FIGURE_FUNCTIONS.items():
        texts = _texts(draw(story_data, "fr"))
        leaked = [t for t in texts if t in english]
        assert not leaked, (name, leaked)
        for t in texts:  # French decimals and percentages
            assert not re.search(r"\d\.\d", t.replace("RECIST 1.1", "")), (name, t)
            assert not re.search(r"\d ?%", t), (name, t)


def test_symptom_figure_does_not_stack_neutropenia(story_data):
    from oncodyn.report.story_figures import fig_symptoms

    fig = fig_symptoms(story_data, "en")
    ax = fig.axes[0]
    stacked = [c.get_label() for c in ax.collections if c.get_label() and not c.get_label().startswith("_")]
    assert stacked and not [s for s in stacked if "neutropenia" in s.lower()]
    lines = [ln for a in fig.axes for ln in a.lines if ln.get_gid() == "share:neutropenia_g3"]
    assert len(lines) == 2
    assert all(0 <= v <= 100 for ln in lines for v in ln.get_ydata())
