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
        then ignored
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
