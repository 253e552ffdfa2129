"""Drill: ALiBi slopes and bias (NumPy).

Implement `alibi_slopes` and `alibi_bias`. Run `tfprep drill alibi` to grade this file.
"""
import numpy as np


def alibi_slopes(n_heads):
    """Per-head ALiBi slopes m_h, following the paper (and its rule for non-powers of two).

    Args:
        n_heads: number of attention heads H (any positive int).

    Returns:
        (H,) float array; for 8 heads: 1/2, 1/4, ..., 1/256.
    """
    raise NotImplementedError


def alibi_bias(n_heads, seq_len):
    """ALiBi bias added to the attention scores: bias[h, i, j] = slopes[h] * (j - i).

    Args:
        n_heads: number of heads H.
        seq_len: sequence length T.

    Returns:
        (H, T, T) float array; only entries with j <= i (<= 0 there) are used.
    """
    raise NotImplementedError
