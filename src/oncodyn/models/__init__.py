"""Tumour growth, treatment response, PK, radiotherapy and toxicity models (pure numerics).

Every model is a frozen :class:`Model` spec registered by name; :func:`check_model` is the
contract each one passes.
"""

from . import growth as growth
from ._ode import solve_ode as solve_ode
from ._spec import Model as Model
from ._spec import Parameter as Parameter
from ._spec import get_model as get_model
from ._spec import list_models as list_models
from ._spec import register as register
from .growth import CLASSICAL_LAWS as CLASSICAL_LAWS
