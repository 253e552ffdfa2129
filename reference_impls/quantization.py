"""Symmetric absmax int8 quantization, per tensor or per axis (as in Dettmers et al., 2022,
"LLM.int8(): 8-bit Matrix Multiplication for Transformers at Scale", section 3.1; the
per-row / per-column "vector-wise" scales are their section 3.2).

For a slice x of the tensor (the whole tensor, or the entries sharing an index off `axis`):

    scale = max|x| / 127
    q     = clip(round(x / scale), -127, 127)   stored as int8
    x_hat = q * scale                           |x - x_hat| <= scale / 2

The grid is symmetric, [-127, 127]: -128 is never used, so negating q never overflows and 0
stays exactly 0. `axis` has NumPy's meaning: it names the axis (or axes) *reduced over* when
taking max|x|, so axis=-1 on a (rows, cols) matrix gives one scale per row, and the scale
keeps the reduced dimensions (keepdims) so that it broadcasts against q. A slice that is all
zeros gets scale 0 and q 0.
"""
from __future__ import annotations

import numpy as np

Q_MAX = 127  # symmetric int8 grid [-127, 127]


def quantize_int8(x: np.ndarray, axis=None) -> tuple[np.ndarray, np.ndarray]:
    """x any shape; axis None, an int or a tuple of ints (reduced over). Returns
    q (x.shape, int8) and scale (x.shape with the reduced axes set to 1, float)."""
    x = np.asarray(x)
    absmax = np.max(np.abs(x), axis=axis, keepdims=True)  # (..., 1, ...) on the reduced axes
    scale = absmax / Q_MAX
    # An all-zero slice has scale 0: divide it by 1 instead, so its q is 0 rather than 0/0 = NaN.
    safe = np.where(scale == 0, 1, scale)
    # np.round rounds halves to even; clipping only guards against float rounding past 127.
    q = np.clip(np.round(x / safe), -Q_MAX, Q_MAX).astype(np.int8)
    return q, scale


def dequantize_int8(q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """q int8, scale broadcastable to q -> float approximation of x (q's shape)."""
    return q.astype(np.result_type(scale, np.float32)) * scale
