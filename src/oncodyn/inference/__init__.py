"""Calibration and forecasting: individual fits batched across series, forecasts with intervals."""

from ._batch import SeriesBatch as SeriesBatch
from .fit import fit as fit
from .forecast import Forecast as Forecast
from .forecast import forecast as forecast
from .forecast import locf as locf
from .forecast import predict_interval as predict_interval
from .results import FitResult as FitResult
from .results import FitStatus as FitStatus
from .starts import initial_guesses as initial_guesses
