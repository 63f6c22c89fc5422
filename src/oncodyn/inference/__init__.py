"""Calibration and forecasting: individual fits batched across series, forecasts with intervals."""

from ._batch import SeriesBatch as SeriesBatch
from .fit import fit as fit
from .forecast import Forecast as Forecast
from .forecast import forecast as forecast
from .forecast import locf as locf
from .forecast import paired_bootstrap_ci as paired_bootstrap_ci
from .forecast import predict_interval as predict_interval
from .frame import batch_from_table as batch_from_table
from .frame import diameter_to_volume as diameter_to_volume
from .frame import fit_frame as fit_frame
from .frame import forecast_frame as forecast_frame
from .frame import volume_to_diameter as volume_to_diameter
from .results import FitResult as FitResult
from .results import FitStatus as FitStatus
from .starts import initial_guesses as initial_guesses
