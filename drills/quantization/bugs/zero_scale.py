# expect-bug: scale clamped to a floor or replaced where max|x| is 0 (an all-zero slice must get scale 0 and q 0; tiny values keep their own tiny scale)
import numpy as np


def quantize_int8(x, axis=None):
    amax = np.max(np.abs(x), axis=axis, keepdims=True)
    scale = np.maximum(amax, 1e-8) / 127   # "avoid division by zero"
    q = np.clip(np.round(x / scale), -127, 127).astype(np.int8)
    return q, scale


def dequantize_int8(q, scale):
    return q * scale
