"""Virtual-patient treatment simulator (vectorised NumPy): ``simulate(...) -> SimulationResult``."""

from ._treatment import course_schedule as course_schedule
from .api import simulate as simulate
from .result import SimulationResult as SimulationResult
