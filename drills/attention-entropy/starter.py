"""Drill: entropy of attention weights, one value per query (NumPy).

Implement `attention_entropy`. Run `tfprep drill attention-entropy` to grade this file.
"""
import numpy as np


def attention_entropy(weights):
    """Entropy of each query's attention distribution, in nats.

    Args:
        weights: (..., T, S) attention weights (for example softmax(q k^T / sqrt(d_k)) over the
            keys): each row along the last axis sums to 1; masked keys hold exact zeros.

    Returns:
        (..., T): H = -sum_k w[..., q, k] * ln w[..., q, k] for every query q, with 0 * ln 0 = 0.
    """
    raise NotImplementedError
