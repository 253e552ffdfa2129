# expect-bug: wrong slopes for 6 or 12 heads: extra slopes taken from positions 1, 3, 5... of the 2n' sequence (they duplicate the first n')
import math

import numpy as np


def _pow2_slopes(n):
    start = 2 ** (-(2 ** -(math.log2(n) - 3)))
    return [start * start**i for i in range(n)]


def alibi_slopes(n_heads):
    if math.log2(n_heads).is_integer():
        return np.array(_pow2_slopes(n_heads))
    closest = 2 ** math.floor(math.log2(n_heads))
    return np.array(_pow2_slopes(closest) + _pow2_slopes(2 * closest)[1::2][: n_heads - closest])


def alibi_bias(n_heads, seq_len):
    rel = np.arange(seq_len)[None, :] - np.arange(seq_len)[:, None]
    return alibi_slopes(n_heads)[:, None, None] * rel[None]
