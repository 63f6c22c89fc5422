"""Kaplan–Meier and Brookmeyer–Crowley against hand arithmetic."""

import numpy as np
import pytest

from oncodyn.errors import DataError
from oncodyn.survival import kaplan_meier, median_ci


def test_km_by_hand():
    # times 1..6, events at 1, 2, 4, 5; censored at 3, 6
    # S(1) = 5/6, S(2) = 5/6*4/5 = 2/3, S(4) = 2/3*2/3 = 4/9, S(5) = 4/9*1/2 = 2/9
    km = kaplan_meier(np.array([1, 2, 3, 4, 5, 6.0]), np.array([1, 1, 0, 1, 1, 0]))
    assert np.allclose(km.survival, [5 / 6, 2 / 3, 4 / 9, 2 / 9])
    # Greenwood at t=1: S^2 * d/(n(n-d)) = (25/36) * 1/30
    assert km.se[0] == pytest.approx(np.sqrt(25 / 36 / 30))
    m = median_ci(np.array([1, 2, 3, 4, 5, 6.0]), np.array([1, 1, 0, 1, 1, 0]))
    assert m.median == 4.0
    # lower: first t with S - 1.96 se <= 0.5: at t=2, S=2/3, se^2 = (4/9)(1/30 + 1/20) = 1/27
    assert 2 / 3 - 1.959964 * np.sqrt(1 / 27) <= 0.5 and m.lower == 2.0
    assert m.upper == np.inf  # upper band never reaches 0.5 within follow-up? check by hand below
    s5, se5 = 2 / 9, (2 / 9) * np.sqrt(1 / 30 + 1 / 20 + 1 / 6 + 1 / 2)
    assert s5 + 1.959964 * se5 > 0.5


def test_km_bad_input():
    with pytest.raises(DataError, match="time"):
        kaplan_meier(np.array([1.0, -2.0]), np.array([1, 1]))
