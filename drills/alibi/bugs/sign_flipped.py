# expect-bug: sign flipped: the bias must be slopes[h] * (j - i), <= 0 for past keys
import math

import numpy as np


def alibi_slopes(n_heads):
    def geo(n):
        return (2.0 ** (-8.0 / n)) ** np.arange(1, n + 1)

    if n_heads & (n_heads - 1) == 0:
        return geo(n_heads)
    base = 2 ** int(math.log2(n_heads))
    return np.concatenate([geo(base), geo(2 * base)[::2][: n_heads - base]])


def alibi_bias(n_heads, seq_len):
    # distance from the query to each earlier key, times the head's slope
    dist = np.arange(seq_len)[:, None] - np.arange(seq_len)[None, :]
    return alibi_slopes(n_heads)[:, None, None] * dist
