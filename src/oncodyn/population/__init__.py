"""Population (nonlinear mixed-effects) tumour-dynamics models, estimated by SAEM.

``fit_population(model, batch, ...) -> PopulationFit``; ``PopulationFit.posterior(batch, ...)
-> PopulationPosterior`` for new series (forecasting from a few scans). One model spec
(:mod:`oncodyn.models`) serves individual and population fits. Research and teaching software,
not a clinical decision tool.
"""

from ._error import TOO_SMALL_MM as TOO_SMALL_MM
from ._error import ErrorModel as ErrorModel
from ._error import size_lloq as size_lloq
from .covariates import Covariates as Covariates
from .posterior import PopulationPosterior as PopulationPosterior
from .results import PopulationFit as PopulationFit
from .results import Trace as Trace
from .saem import fit_population as fit_population
from .simulate import simulate_population as simulate_population
