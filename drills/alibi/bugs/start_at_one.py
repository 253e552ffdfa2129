# expect-bug: slopes start at 1 instead of 2^(-8/n) (exponent off by one)
import math

import numpy as np


def _slopes_pow2(n):
    return np.array([2.0 ** (-8.0 * h / n) for h in range(n)])


def alibi_slopes(n_heads):
    base = 2 ** math.floor(math.log2(n_heads))
    slopes = _slopes_pow2(base)
    if base < n_heads:
        slopes = np.concatenate([slopes, _slopes_pow2(2 * base)[0::2][: n_heads - base]])
    return slopes


def alibi_bias(n_heads, seq_len):
    pos = np.arange(seq_len)
    return np.einsum("h,ij->hij", alibi_slopes(n_heads), (pos[None, :] - pos[:, None]).astype(float))
