# expect-bug: wrong slopes for 6 or 12 heads: first n slopes of the next power of two's sequence
import math

import numpy as np


def alibi_slopes(n_heads):
    n = 2 ** math.ceil(math.log2(n_heads))  # round up to a power of two, keep the first n_heads
    m = 2.0 ** (-8.0 * np.arange(1, n + 1) / n)
    return m[:n_heads]


def alibi_bias(n_heads, seq_len):
    i = np.arange(seq_len)[:, None]
    j = np.arange(seq_len)[None, :]
    return alibi_slopes(n_heads).reshape(-1, 1, 1) * (j - i)
