"""Float sums over a patient's lesions, vectorised across patients and bit-identical to NumPy.

Lesion-major arrays (L, n): :func:`lesion_sum` adds the L rows in exactly the association order
of NumPy's pairwise summation along a contiguous axis, so ``lesion_sum(x)`` equals
``np.ascontiguousarray(x.T).sum(axis=1)`` bit for bit (split from :mod:`.engine`).
"""

from __future__ import annotations

import numpy as np


def _pairwise(rows: np.ndarray, lo: int, n: int) -> np.ndarray:
    # NumPy's pairwise_sum (numpy/_core/src/umath/loops_utils.h.src): < 8 terms in sequence,
    # up to 128 with 8 interleaved accumulators, longer blocks split in halves (multiple of 8)
    if n < 8:
        res = rows[lo] + 0.0
        for i in range(lo + 1, lo + n):
            res += rows[i]
        return res
    if n <= 128:
        r = [rows[lo + j] for j in range(8)]  # views; every update below makes a new array
        i = 8
        while i < n - (n % 8):
            r = [r[j] + rows[lo + i + j] for j in range(8)]
            i += 8
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for k in range(i, n):
            res += rows[lo + k]
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return _pairwise(rows, lo, n2) + _pairwise(rows, lo + n2, n - n2)


def lesion_sum(x: np.ndarray) -> np.ndarray:
    """Sum of a lesion-major float array ``x`` (L, n) over lesions, shape (n,).

    Bit-identical to ``np.ascontiguousarray(x.T).sum(axis=1)`` (same association order as
    NumPy's pairwise summation along a contiguous axis), but vectorised across patients.
    """
    return _pairwise(x, 0, x.shape[0])
