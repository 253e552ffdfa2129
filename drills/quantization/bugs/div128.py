# expect-bug: scale = max|x| / 128 instead of / 127
import numpy as np


def quantize_int8(x, axis=None):
    # 256 levels in int8, so half of them per side...
    scale = np.max(np.abs(x), axis=axis, keepdims=True) / 128.0
    safe = np.where(scale == 0, 1.0, scale)
    q = np.clip(np.round(x / safe), -127, 127).astype(np.int8)
    return q, scale


def dequantize_int8(q, scale):
    return q.astype(np.float64) * scale
