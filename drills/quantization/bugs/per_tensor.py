# expect-bug: per-tensor when per-axis asked (one scale for the whole tensor: `axis` ignored)
import numpy as np


def quantize_int8(x, axis=None):
    amax = float(np.abs(x).max())
    scale = amax / 127.0
    if scale == 0:
        return np.zeros(x.shape, dtype=np.int8), 0.0
    q = np.clip(np.round(x / scale), -127, 127).astype(np.int8)
    return q, scale


def dequantize_int8(q, scale):
    return q.astype(np.float64) * scale
