"""Table front-end of calibration: long tumour-size tables in, fitted series out.

The canonical table (``oncodyn.data``) holds longest diameters in mm. Growth laws are usually
written for volumes, so ``observable`` chooses what the model describes:

* ``"diameter"``: the model is fitted to the diameters as given (mm);
* ``"volume"``: diameters are converted to sphere volumes V = (pi/6) d^3 (mm^3) before fitting
  (the convention of Benzekry et al. 2014 PLOS Comput Biol 10:e1003800 and, with 0.52 ~ pi/6,
  of Laleh et al. 2022 PLOS Comput Biol 18:e1009822);

and ``scale`` ("linear" or "log") the residual scale (see :func:`oncodyn.inference.fit`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from ..errors import ConfigError
from ..models.geometry import sphere_diameter, sphere_volume
from ._batch import SeriesBatch
from .fit import fit
from .forecast import Forecast, forecast
from .results import FitResult

Observable = Literal["diameter", "volume"]


diameter_to_volume = sphere_volume
"""Sphere volume (mm^3) from a diameter (mm): V = pi d^3 / 6."""
volume_to_diameter = sphere_diameter
"""Diameter (mm) from a sphere volume (mm^3)."""


def batch_from_table(table: Any, *, observable: Observable = "volume", time: str = "time",
                     value: str = "size", by: Sequence[str] = ("study", "subject", "series"),
                     ) -> SeriesBatch:
    """A :class:`SeriesBatch` of the chosen observable from a canonical long table."""
    if observable not in ("diameter", "volume"):
        raise ConfigError(f"observable must be 'diameter' or 'volume', got {observable!r}")
    batch = SeriesBatch.from_frame(table, time=time, value=value, by=by)
    if observable == "volume":
        batch = SeriesBatch(batch.ids, batch.t, diameter_to_volume(batch.y), batch.n)
    return batch


def fit_frame(model: Any, table: Any, *, observable: Observable = "volume", time: str = "time",
              value: str = "size", by: Sequence[str] = ("study", "subject", "series"),
              **fit_options: Any) -> FitResult:
    """Fit ``model`` to every series of a long table (see :func:`oncodyn.inference.fit`)."""
    return fit(model, batch_from_table(table, observable=observable, time=time, value=value,
                                       by=by), **fit_options)


def forecast_frame(model: Any, table: Any, *, observable: Observable = "volume",
                   time: str = "time", value: str = "size",
                   by: Sequence[str] = ("study", "subject", "series"),
                   **forecast_options: Any) -> Forecast:
    """Forecast every series of a long table (see :func:`oncodyn.inference.forecast`)."""
    return forecast(model, batch_from_table(table, observable=observable, time=time,
                                            value=value, by=by), **forecast_options)
