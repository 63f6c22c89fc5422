"""Symptom burden index (oncodyn.simulate.symptoms): exact component arithmetic and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncodyn.errors import DataError
from oncodyn.simulate.symptoms import (
    MID_POINTS,
    SITE_WEIGHTS,
    SymptomParams,
    classify_change,
    symptom_score,
)

P = SymptomParams()


def traj(burdens, days=None, on=False, sid=0):
    days = np.arange(len(burdens)) * 7 if days is None else days
    return pd.DataFrame({"subject_id": sid, "day": days, "burden_mm": burdens, "on_chemo": on})


def sites(organ="lung", sid=0):
    return pd.DataFrame({"subject_id": [sid], "organ": [organ]})


def test_tumour_component_closed_form_and_monotone():
    b1 = np.linspace(0.0, 400.0, 81)
    frames = [traj([50.0, b], sid=i) for i, b in enumerate(b1)]
    tr = pd.concat(frames, ignore_index=True)
    st = pd.DataFrame({"subject_id": np.arange(b1.size), "organ": "liver"})
    s = symptom_score(tr, sites=st)
    later = s[s.day == 7].sort_values("subject_id")
    r = b1 / 50.0
    # T = tumour_points * w * 2r/(1+r) exactly (floating-point rounding only)
    np.testing.assert_allclose(later.tumour, P.tumour_points * SITE_WEIGHTS["liver"] * 2 * r / (1 + r), rtol=1e-12)
    assert np.all(np.diff(later.score.to_numpy()) >= 0)  # more burden, never fewer symptoms
    assert np.all(np.diff(later.score.to_numpy()[:40]) > 0)  # strictly below the clip
    # shrinkage (r < 1) lowers the score below baseline: palliation
    assert later.score.iloc[0] < s[s.day == 0].score.iloc[0]


def test_neutropenia_raises_score_by_grade_within_window():
    tr = traj([40.0] * 5)  # flat burden, no chemo flag: only the toxicity changes
    # nadir 7.2 days after a dose on day 0 (toxicity is recorded on its nadir day)
    tox = pd.DataFrame({"subject_id": [0], "day": [7.2], "event": ["toxicity"], "value": [4.0]})
    s0 = symptom_score(tr, sites=sites()).set_index("day").score
    s1 = symptom_score(tr, tox, sites()).set_index("day").score
    diff = (s1 - s0).to_numpy()
    # 5 points per grade for -6 < t - nadir <= 8 days: days 7 and 14 (+20), not 0, 21, 28
    np.testing.assert_allclose(diff, [0.0, 20.0, 20.0, 0.0, 0.0], atol=1e-12)
    # non-toxicity events are ignored; a grade frame gives the same result
    ev = pd.concat([tox, pd.DataFrame({"subject_id": [0], "day": [7.0], "event": ["progression"], "value": [0.0]})])
    np.testing.assert_allclose(symptom_score(tr, ev, sites()).score, s1.to_numpy())
    g = pd.DataFrame({"subject_id": [0], "day": [7.2], "grade": [4]})
    np.testing.assert_allclose(symptom_score(tr, g, sites()).score, s1.to_numpy())


def test_chemo_side_effects_lag_one_interval():
    tr = traj([40.0] * 4, on=[True, True, False, False])
    s = symptom_score(tr, sites=sites())
    # the baseline row is pre-treatment; effects of [t_k-1, t_k) appear at t_k
    np.testing.assert_allclose(s.chemotherapy, [0.0, P.chemo_points, P.chemo_points, 0.0])


def test_radiotherapy_acute_toxicity_formula():
    tr = traj([40.0] * 3)
    rt = pd.DataFrame({"subject_id": [0], "day": [0.0], "dose_gy": [2.0]})
    s = symptom_score(tr, sites=sites(), radiotherapy=rt)
    x = 2.0 * np.exp(-np.array([7.0, 14.0]) / P.rt_tau_days)
    np.testing.assert_allclose(s.radiotherapy, [0.0, *(P.rt_points * x / (x + P.rt_x50_gy))], rtol=1e-12)


def test_bounded_0_100_under_extremes():
    rng = np.random.default_rng(3)
    n = 60
    tr = pd.concat([traj(np.r_[rng.uniform(1, 100), rng.uniform(0, 1e6, 9)], on=rng.random(10) < 0.5, sid=i)
                    for i in range(n)], ignore_index=True)
    st = pd.DataFrame({"subject_id": np.repeat(np.arange(n), 3),
                       "organ": rng.choice(list(SITE_WEIGHTS), size=3 * n)})
    tox = pd.DataFrame({"subject_id": np.arange(n), "day": 0.0, "grade": rng.integers(0, 5, n)})
    rt = pd.DataFrame({"subject_id": np.repeat(np.arange(n), 30), "day": np.tile(np.arange(30.0), n),
                       "dose_gy": 3.0})
    s = symptom_score(tr, tox, st, radiotherapy=rt)
    assert s.score.between(0.0, 100.0).all()
    assert (s.score == 100.0).any()  # the clip binds at the top for huge burdens
    # site weights aggregate to at most 1 (max weight + 0.1 per further organ, capped)
    assert s.site_weight.between(0.0, 1.0).all()


def test_site_weights_order_and_aggregation():
    tr = pd.concat([traj([40.0, 40.0], sid=i) for i in range(3)], ignore_index=True)
    st = pd.DataFrame({"subject_id": [0, 1, 2, 2], "organ": ["bone", "lymph_node", "lymph_node", "adrenal"]})
    w = symptom_score(tr, sites=st).groupby("subject_id").site_weight.first()
    assert w[0] == SITE_WEIGHTS["bone"]
    assert w[1] == SITE_WEIGHTS["lymph_node"]
    assert w[2] == pytest.approx(max(SITE_WEIGHTS["lymph_node"], SITE_WEIGHTS["adrenal"]) + 0.1, abs=1e-12)


def test_mid_is_osoba_10_points():
    assert MID_POINTS == 10.0
    import oncodyn.simulate.symptoms as m

    assert "Osoba" in m.__doc__ and "illustrative" in m.__doc__
    np.testing.assert_array_equal(classify_change([-10.0, -9.99, 0.0, 9.99, 10.0]),
                                  ["improved", "stable", "stable", "stable", "worsened"])


def test_bad_input_errors_name_row_and_column():
    with pytest.raises(DataError, match="burden_mm"):
        symptom_score(pd.DataFrame({"subject_id": [0], "day": [0], "on_chemo": [False]}))
    with pytest.raises(DataError, match=r"row 0.*'burden_mm'.*> 0"):
        symptom_score(traj([0.0, 1.0]))
    with pytest.raises(DataError, match=r"row 1.*'burden_mm'"):
        symptom_score(traj([1.0, np.nan]))
    with pytest.raises(DataError, match=r"row 0.*'value'.*grade"):
        symptom_score(traj([1.0, 1.0]), pd.DataFrame({"subject_id": [0], "day": [0], "event": ["toxicity"], "value": [5.0]}))
    with pytest.raises(DataError, match=r"'organ'.*spleen"):
        symptom_score(traj([1.0, 1.0]), sites=sites("spleen"))
    with pytest.raises(DataError, match="no row in the sites"):
        symptom_score(traj([1.0, 1.0], sid=7), sites=sites("lung", sid=0))
