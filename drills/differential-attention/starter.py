"""Drill: differential attention, (softmax(q1 k1^T / sqrt(d)) - lam softmax(q2 k2^T / sqrt(d))) v (NumPy).

Implement `differential_attention`. Run `tfprep drill differential-attention` to grade this file.
"""
import numpy as np


def differential_attention(q1, k1, q2, k2, v, lam):
    """The difference of two softmax attention maps, applied to the same values.

    Args:
        q1, q2: (..., T, d) the two halves of the queries.
        k1, k2: (..., S, d) the two halves of the keys.
        v: (..., S, d_v) values.
        lam: float, the weight of the second map.

    d = q1.shape[-1] is the width of one half: the scale is 1/sqrt(d). Each map is a softmax
    over the keys; no mask.

    Returns:
        out: (..., T, d_v)
    """
    raise NotImplementedError
