# expect-bug: int64 overflow: 6 * N * D on NumPy ints wraps past 9.2e18 (convert to float first)
import math

import numpy as np


def count_params(d_model, n_layers, vocab, d_ff=None):
    if d_ff is None:
        d_ff = 4 * d_model
    return n_layers * (4 * d_model * d_model + 2 * d_model * d_ff) + vocab * d_model


def train_flops(n_params, n_tokens):
    return float(np.multiply(6 * np.asarray(n_params), n_tokens))


def chinchilla_optimal(compute_flops):
    n = math.sqrt(compute_flops / 120.0)
    return n, 20.0 * n
