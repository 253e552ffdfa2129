# expect-bug: wrong slopes for 6 or 12 heads: 2^(-8/n) geometric sequence used for a head count that is not a power of two
import numpy as np


def alibi_slopes(n_heads):
    ratio = 2.0 ** (-8.0 / n_heads)
    return np.array([ratio ** (h + 1) for h in range(n_heads)])


def alibi_bias(n_heads, seq_len):
    pos = np.arange(seq_len)
    return alibi_slopes(n_heads)[:, None, None] * (pos[None, :] - pos[:, None])
