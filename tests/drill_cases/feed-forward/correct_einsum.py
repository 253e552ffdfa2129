# A correct solution written differently from the reference: erf from math over a flat list,
# a piecewise-stable sigmoid, and einsum for the projections.
import math

import numpy as np


def gelu(x, approximate=False):
    x = np.asarray(x, dtype=np.float64)
    if approximate:
        c = math.sqrt(2.0 / math.pi)
        return x * 0.5 * (1.0 + np.tanh(c * x * (1.0 + 0.044715 * x * x)))
    phi = np.array([0.5 * math.erfc(-v / math.sqrt(2.0)) for v in x.flat]).reshape(x.shape)
    return x * phi


def _sigmoid(z):
    out = np.empty_like(z, dtype=np.float64)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def swiglu_ffn(x, w_gate, w_up, w_down):
    a = np.einsum("...d,df->...f", x, w_gate)
    b = np.einsum("...d,df->...f", x, w_up)
    return np.einsum("...f,fd->...d", a * _sigmoid(a) * b, w_down)
