# expect-bug: tanh approximation used for the exact GELU (approximate=False needs erf)
import numpy as np


def gelu(x, approximate=False):
    # "everyone uses the tanh form" -- but approximate=False asks for erf
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def swiglu_ffn(x, w_gate, w_up, w_down):
    g = x @ w_gate
    return (g / (1 + np.exp(-g)) * (x @ w_up)) @ w_down
