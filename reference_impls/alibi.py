"""ALiBi: attention with linear biases (Press et al., 2022, "Train Short, Test Long", sec. 3).

Instead of position embeddings, each head h adds a fixed penalty proportional to distance:

    softmax(q_i K^T / sqrt(d_k) + m_h * [-(i-1), ..., -1, 0])

For n heads (a power of two) the slopes m_h are the geometric sequence that starts at
2^(-8/n) and has that same ratio: 8 heads give 1/2, 1/4, ..., 1/256. For other head counts
the official code takes the slopes of the closest lower power of two n', then fills the
remaining n - n' heads with every other slope of the 2n' sequence (the ones that lie between
the slopes already used).

Dimension legend: see reference_impls/README.md (H heads, T sequence length).
"""
from __future__ import annotations

import math

import numpy as np


def _geometric_slopes(n: int) -> np.ndarray:
    # start = ratio = 2^(-8/n): the slopes end at 2^-8 whatever n is.
    start = 2.0 ** (-8.0 / n)
    return start ** np.arange(1, n + 1)  # (n,)


def alibi_slopes(n_heads: int) -> np.ndarray:
    """Per-head slopes m_h, shape (H,)."""
    if math.log2(n_heads).is_integer():
        return _geometric_slopes(n_heads)
    n_closest = 2 ** math.floor(math.log2(n_heads))
    # The even positions of the 2n' sequence interleave with the n' slopes: no duplicates.
    extra = _geometric_slopes(2 * n_closest)[0::2][: n_heads - n_closest]
    return np.concatenate([_geometric_slopes(n_closest), extra])  # (H,)


def alibi_bias(n_heads: int, seq_len: int) -> np.ndarray:
    """bias[h, i, j] = m_h * (j - i), shape (H, T, T).

    Only the causal part (j <= i, where the bias is <= 0) is used; the future half is
    masked away by the causal mask anyway.
    """
    pos = np.arange(seq_len)
    rel = pos[None, :] - pos[:, None]  # (T, T): j - i
    return alibi_slopes(n_heads)[:, None, None] * rel  # (H, T, T)
