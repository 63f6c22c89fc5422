"""Virtual trials: two-arm designs (TRIAL.toml), run_trial, and the chunked, seeded executors
(serial, Dask)."""

from .design import TrialDesign as TrialDesign
from .design import list_examples as list_examples
from .design import load_design as load_design
from .executors import CHUNK_SIZE as CHUNK_SIZE
from .executors import DaskExecutor as DaskExecutor
from .executors import SerialExecutor as SerialExecutor
from .executors import chunk_plan as chunk_plan
from .executors import make_executor as make_executor
from .run import TrialResult as TrialResult
from .run import run_trial as run_trial
