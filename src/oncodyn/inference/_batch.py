"""Padded arrays of many series: the core's view of a long table (tables at the edges)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class SeriesBatch:
    """Many series as padded arrays.

    Attributes
    ----------
    ids : tuple
        One key per series (any hashable, e.g. a tuple (study, subject, series)).
    t, y : ndarray, shape (n_series, max_len)
        Times and values, padded with NaN after each series' last point (times sorted).
    n : ndarray of int, shape (n_series,)
        Number of points of each series.
    """

    ids: tuple[Any, ...]
    t: np.ndarray
    y: np.ndarray
    n: np.ndarray

    @property
    def mask(self) -> np.ndarray:
        return np.arange(self.t.shape[1])[None, :] < self.n[:, None]

    def __len__(self) -> int:
        return len(self.ids)

    def last(self) -> tuple[np.ndarray, np.ndarray]:
        """Time and value of each series' last point, shape (n_series,) each; NaN for a series
        without any point."""
        b = len(self)
        if self.t.shape[1] == 0:
            return np.full(b, np.nan), np.full(b, np.nan)
        r, i = np.arange(b), np.maximum(self.n - 1, 0)
        ok = self.n >= 1
        return np.where(ok, self.t[r, i], np.nan), np.where(ok, self.y[r, i], np.nan)

    @classmethod
    def from_lists(cls, ids: Sequence[Any], times: Sequence[Sequence[float]],
                   values: Sequence[Sequence[float]]) -> SeriesBatch:
        if not (len(ids) == len(times) == len(values)):
            raise ValueError("ids, times and values must have the same length")
        n = np.array([len(x) for x in times], dtype=int)
        for i, (tt, vv) in enumerate(zip(times, values, strict=True)):
            if len(tt) != len(vv):
                raise ValueError(f"series {ids[i]!r}: {len(tt)} times but {len(vv)} values")
        width = int(n.max()) if len(n) else 0
        t = np.full((len(ids), width), np.nan)
        y = np.full((len(ids), width), np.nan)
        for i, (tt, vv) in enumerate(zip(times, values, strict=True)):
            order = np.argsort(np.asarray(tt, float), kind="stable")
            t[i, : n[i]] = np.asarray(tt, float)[order]
            y[i, : n[i]] = np.asarray(vv, float)[order]
        return cls(tuple(ids), t, y, n)

    @classmethod
    def from_frame(cls, df: Any, *, time: str = "time", value: str = "size",
                   by: Sequence[str] = ("study", "subject", "series")) -> SeriesBatch:
        """Build from a long table (one row per reading), grouping by the ``by`` columns present."""
        keys = [c for c in by if c in df.columns]
        if not keys:
            raise ValueError(f"none of the key columns {list(by)} is in the table")
        for c in (time, value):
            if c not in df.columns:
                raise ValueError(f"column {c!r} not in the table (columns: {list(df.columns)})")
        d = df[keys + [time, value]].sort_values(keys + [time], kind="stable")
        codes = d.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
        first = np.r_[0, np.flatnonzero(np.diff(codes)) + 1]
        n = np.diff(np.r_[first, len(codes)])
        width = int(n.max()) if len(n) else 0
        pos = np.arange(len(codes)) - np.repeat(first, n)
        row = np.repeat(np.arange(len(n)), n)
        t = np.full((len(n), width), np.nan)
        y = np.full((len(n), width), np.nan)
        t[row, pos] = d[time].to_numpy(float)
        y[row, pos] = d[value].to_numpy(float)
        key_frame = d.iloc[first][keys]
        ids = tuple(key_frame.itertuples(index=False, name=None)) if len(keys) > 1 else tuple(
            key_frame[keys[0]].tolist())
        return cls(ids, t, y, n)

    def head(self, k: np.ndarray | int) -> SeriesBatch:
        """The first ``k`` points of each series (``k`` per series or one int; clipped at n)."""
        k = np.minimum(np.broadcast_to(np.asarray(k, int), self.n.shape), self.n)
        keep = np.arange(self.t.shape[1])[None, :] < k[:, None]
        return SeriesBatch(self.ids, np.where(keep, self.t, np.nan),
                           np.where(keep, self.y, np.nan), k.copy())

    def tail(self, k: np.ndarray | int) -> SeriesBatch:
        """The points after the first ``k`` of each series, left-aligned."""
        k = np.minimum(np.broadcast_to(np.asarray(k, int), self.n.shape), self.n)
        m = self.n - k
        width = int(m.max()) if len(m) else 0
        idx = k[:, None] + np.arange(width)[None, :]
        valid = np.arange(width)[None, :] < m[:, None]
        idx = np.where(valid, idx, 0)
        t = np.where(valid, np.take_along_axis(self.t, idx, 1), np.nan)
        y = np.where(valid, np.take_along_axis(self.y, idx, 1), np.nan)
        return SeriesBatch(self.ids, t, y, m)

    def subset(self, index: np.ndarray) -> SeriesBatch:
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        ids = tuple(self.ids[i] for i in index)
        return SeriesBatch(ids, self.t[index], self.y[index], self.n[index])
