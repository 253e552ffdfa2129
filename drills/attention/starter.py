"""Drill: scaled dot-product attention (NumPy).

Implement `scaled_dot_product_attention`. Run `tfprep drill attention` to grade this file.
"""
import numpy as np


def scaled_dot_product_attention(q, k, v, mask=None):
    """Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V.

    Args:
        q: (..., Lq, d_k) queries.
        k: (..., Lk, d_k) keys.
        v: (..., Lk, d_v) values.
        mask: optional bool array broadcastable to (..., Lq, Lk); True = query may attend to key.
            Every query row has at least one allowed key.

    Returns:
        (out, weights): out (..., Lq, d_v), weights (..., Lq, Lk) with rows summing to 1.
    """
    raise NotImplementedError
