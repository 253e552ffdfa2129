# expect-bug: overflow to -128 (q must stay within [-127, 127]; a value that rounds to +128 wraps to -128 in int8)
import numpy as np


def quantize_int8(x, axis=None):
    amax = np.abs(x).max(axis=axis, keepdims=True)
    scale = amax / 128
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.nan_to_num(np.round(x / scale))
    return q.astype(np.int64).astype(np.int8), scale   # no clip: +128 wraps around


def dequantize_int8(q, scale):
    return q * scale
