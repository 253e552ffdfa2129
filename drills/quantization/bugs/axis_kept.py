# expect-bug: `axis` read as the axis kept instead of the axis reduced over (axis=-1 must give one scale per row, as np.max(|x|, axis=-1, keepdims=True))
import numpy as np


def quantize_int8(x, axis=None):
    # "per-channel along axis": one scale for each index of `axis`
    if axis is None:
        reduce = None
    else:
        keep = {a % x.ndim for a in np.atleast_1d(axis)}
        reduce = tuple(a for a in range(x.ndim) if a not in keep)
    scale = np.max(np.abs(x), axis=reduce, keepdims=True) / 127
    q = np.round(x / np.where(scale == 0, 1, scale))
    return np.clip(q, -127, 127).astype(np.int8), scale


def dequantize_int8(q, scale):
    return q * scale
