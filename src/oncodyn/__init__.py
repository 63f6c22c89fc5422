"""oncodyn: tumour dynamics under treatment.

Research and teaching software, **not a clinical decision tool**: no output of oncodyn should be
used to choose or change a real patient's treatment.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("oncodyn")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

from .models import Model as Model
from .models import Parameter as Parameter
from .models import get_model as get_model
from .models import list_models as list_models
