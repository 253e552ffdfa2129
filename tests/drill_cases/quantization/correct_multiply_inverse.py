# A correct solution in the style of LLM.int8() / bitsandbytes: multiply by 127 / absmax
# (the inverse scale), round half away from zero by hand, and store the scale as absmax / 127.
import numpy as np


def quantize_int8(x, axis=None):
    x = np.asarray(x)
    absmax = np.abs(x).max(axis=axis, keepdims=True)
    inv = np.divide(127.0, absmax, out=np.zeros_like(absmax, dtype=np.float64), where=absmax > 0)
    y = x * inv
    q = np.sign(y) * np.floor(np.abs(y) + 0.5)          # half away from zero
    q = np.minimum(np.maximum(q, -127), 127).astype(np.int8)
    return q, absmax / 127.0


def dequantize_int8(q, scale):
    return np.multiply(q, scale, dtype=np.result_type(scale, np.float32))
