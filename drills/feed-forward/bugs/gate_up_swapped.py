# expect-bug: gate and up swapped: SiLU goes on x @ w_gate, not x @ w_up
import math

import numpy as np


def gelu(x, approximate=False):
    x = np.asarray(x, dtype=float)
    if approximate:
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * np.power(x, 3))
        return x * 0.5 * (1 + np.tanh(inner))
    return x * 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x.ravel()]).reshape(x.shape))


def silu(z):
    return z * 0.5 * (1 + np.tanh(z / 2))


def swiglu_ffn(x, w_gate, w_up, w_down):
    up = silu(x @ w_up)
    gate = x @ w_gate
    return (gate * up) @ w_down
