"""Tumour growth, treatment response, PK, radiotherapy and toxicity models (pure numerics).

Every model is a frozen :class:`Model` spec registered by name; :func:`check_model` is the
contract each one passes.
"""

from . import exposure as exposure
from . import growth as growth
from . import radiation as radiation
from . import response as response
from . import toxicity as toxicity
from ._ode import solve_ode as solve_ode
from ._spec import Model as Model
from ._spec import Parameter as Parameter
from ._spec import get_model as get_model
from ._spec import list_models as list_models
from ._spec import register as register
from .check import CheckHints as CheckHints
from .check import CheckReport as CheckReport
from .check import check_all_models as check_all_models
from .check import check_model as check_model
from .check import set_check_hints as set_check_hints
from .exposure import DoseEvents as DoseEvents
from .exposure import LinearPK as LinearPK
from .exposure import Regimen as Regimen
from .growth import CLASSICAL_LAWS as CLASSICAL_LAWS
from .radiation import Course as Course
from .radiation import Fractionation as Fractionation
from .toxicity import FribergParams as FribergParams
