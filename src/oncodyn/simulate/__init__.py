"""Virtual-patient treatment simulator (vectorised NumPy): ``simulate(...) -> SimulationResult``."""

from .api import simulate as simulate
from .result import SimulationResult as SimulationResult
