"""Trial execution: chunked, seeded executors (serial, Dask)."""

from .executors import CHUNK_SIZE as CHUNK_SIZE
from .executors import DaskExecutor as DaskExecutor
from .executors import SerialExecutor as SerialExecutor
from .executors import chunk_plan as chunk_plan
from .executors import make_executor as make_executor
