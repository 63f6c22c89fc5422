"""Executors: run a cohort as fixed-size chunks, serially or on Dask, with identical results.

Reproducibility contract: the cohort of ``n`` patients is cut into chunks of ``chunk_size``
patients (fixed, independent of the number of workers). Chunk ``i`` draws all its randomness
from ``numpy.random.Generator(PCG64(SeedSequence(seed).spawn(n_chunks)[i]))`` (NumPy's
recommended way to derive independent streams, SeedSequence docs). Chunks are reassembled in
index order, so the same (scenario, n, seed, chunk_size) gives bit-identical results on 1 or N
workers, serially or on a cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError

CHUNK_SIZE = 10_000  # patients per chunk: part of the seed contract (changing it changes draws)
MALLOC_MMAP_THRESHOLD = 32 * 2**20   # bytes; see DaskExecutor (worker allocator settings)
MALLOC_TRIM_THRESHOLD = 128 * 2**20


def chunk_plan(n: int, seed: int, chunk_size: int = CHUNK_SIZE) -> list[tuple[int, int, np.random.SeedSequence]]:
    """(start, size, seed sequence) for each chunk."""
    if n < 1:
        raise ConfigError(f"n_patients must be >= 1 (got {n})")
    if chunk_size < 1:
        raise ConfigError(f"chunk_size must be >= 1 (got {chunk_size})")
    n_chunks = -(-n // chunk_size)
    seqs = np.random.SeedSequence(seed).spawn(n_chunks)
    return [(i * chunk_size, min(chunk_size, n - i * chunk_size), seqs[i]) for i in range(n_chunks)]


class SerialExecutor:
    """Run chunks one after the other in this process."""

    workers = 1

    def map(self, fn: Callable[..., Any], items: Sequence[Any]) -> list[Any]:
        return [fn(*it) for it in items]

    def close(self) -> None:
        pass


class DaskExecutor:
    """Run chunks on a Dask cluster.

    Parameters
    ----------
    workers : number of worker processes of a new ``LocalCluster`` (1 thread each)
    address : scheduler address of an existing cluster (``tcp://host:8786``); ``workers`` is
        then ignored (and so are the worker allocator settings: start such workers with
        ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` as below for full speed)

    A new ``LocalCluster``'s workers get ``MALLOC_MMAP_THRESHOLD_=32 MiB`` and
    ``MALLOC_TRIM_THRESHOLD_=128 MiB`` (see ``__init__``): results do not depend on them.
    """

    def __init__(self, workers: int = 2, address: str | None = None) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover
            raise ConfigError("the Dask executor needs the [dist] extra: pip install 'oncodyn[dist]'") from exc
        self._cluster = None
        if address:
            self.client = Client(address)
        else:
            import dask

            # Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536 (to return memory to
            # the OS); setting any malloc threshold disables glibc's dynamic mmap threshold, so
            # every NumPy temporary >= 128 KiB (a (9, 10000) float64 array is 720 KiB) becomes an
            # mmap/munmap pair and page-faults afresh: measured 0.18 -> 0.35 CPU s per 10,000-patient
            # chunk. Serve such temporaries from the heap (mmap above 32 MiB) and trim above
            # 128 MiB, which bounds the memory a worker keeps.
            env = {**dask.config.get("distributed.nanny.pre-spawn-environ", default={}),
                   "MALLOC_MMAP_THRESHOLD_": str(MALLOC_MMAP_THRESHOLD), "MALLOC_TRIM_THRESHOLD_": str(MALLOC_TRIM_THRESHOLD)}
            with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
                self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                             dashboard_address=None, silence_logs=40)
            self.client = Client(self._cluster)
        self.workers = len(self.client.scheduler_info()["workers"])

    def map(self, fn: Callable[..., Any], items: Sequence[Any]) -> list[Any]:
        futs = [self.client.submit(fn, *it, pure=False) for it in items]
        return self.client.gather(futs)

    def peak_rss_mb(self) -> float:
        """Largest peak resident memory among the workers (MB)."""
        def rss() -> float:
            import resource
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        return max(self.client.run(rss).values())

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_executor(kind: str = "serial", *, workers: int = 2, address: str | None = None):
    """``"serial"`` or ``"dask"`` executor (ConfigError naming the allowed values otherwise)."""
    if kind == "serial":
        return SerialExecutor()
    if kind == "dask":
        return DaskExecutor(workers=workers, address=address)
    raise ConfigError(f"executor {kind!r} not allowed; allowed: serial, dask")
