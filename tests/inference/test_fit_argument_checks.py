"""``fit`` refuses wrong arguments with a ConfigError that says what to pass."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncodyn.errors import ConfigError
from oncodyn.inference._batch import SeriesBatch
from oncodyn.inference.fit import fit


def _batch() -> SeriesBatch:
    t = np.array([0.0, 42.0, 84.0, 126.0])
    df = pd.DataFrame({"subject": "P1", "series": "S", "time": t, "size": 30.0 * np.exp(0.005 * t)})
    return SeriesBatch.from_frame(df)


@pytest.mark.parametrize("data", [None, [1.0, 2.0, 3.0], {"t": [0, 1]}, "file.csv"])
def test_data_that_is_not_a_series_batch_is_refused(data):
    with pytest.raises(ConfigError, match="SeriesBatch"):
        fit("exponential", data)


@pytest.mark.parametrize("kw", [{"max_iter": -1}, {"max_iter": 0}, {"max_iter": 2.5},
                                {"screen_iter": -3}, {"polish_iter": True},
                                {"refine_iter": None}])
def test_iteration_counts_must_be_whole_and_in_range(kw):
    with pytest.raises(ConfigError, match=next(iter(kw))):
        fit("exponential", _batch(), **kw)


def test_valid_arguments_still_fit():
    res = fit("exponential", _batch(), max_iter=50)
    assert len(res.to_frame()) == 1
