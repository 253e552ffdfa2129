"""Drill: attention with inverted dropout on the attention weights (NumPy).

Implement `attention_with_dropout`. Run `tfprep drill attention-dropout` to grade this file.
"""
import numpy as np


def attention_with_dropout(q, k, v, p, rng, training=True):
    """Scaled dot-product attention with dropout on the weights after the softmax.

    Args:
        q: queries (..., T, d_k).
        k: keys (..., S, d_k).
        v: values (..., S, d_v).
        p: drop probability in [0, 1): each weight is zeroed with probability p, and the kept
            ones are divided by 1 - p.
        rng: a numpy.random.Generator; every random number comes from it.
        training: False (or p == 0) means plain attention, no dropout, no rescaling.

    Returns:
        (out, weights): out (..., T, d_v) and the weights actually applied to v (..., T, S),
        so that out == weights @ v.
    """
    raise NotImplementedError
