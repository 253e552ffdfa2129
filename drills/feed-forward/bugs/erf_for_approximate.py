# expect-bug: erf form used for approximate=True (it asks for the tanh form)
import math

import numpy as np


def gelu(x, approximate=False):
    # the flag is accepted but ignored: always the exact form
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / np.sqrt(2)))


def swiglu_ffn(x, w_gate, w_up, w_down):
    a = x @ w_gate
    silu = a * (0.5 * (1 + np.tanh(0.5 * a)))
    return (silu * (x @ w_up)) @ w_down
