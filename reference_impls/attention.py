"""Scaled dot-product attention (Vaswani et al., 2017, "Attention Is All You Need", eq. 1).

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V

Dimension legend: see reference_impls/README.md (T query length, S key length, d_k, d_v).
"""
from __future__ import annotations

import numpy as np


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # Subtract the row max: exp overflows past ~709 in float64 (~88 in float32).
    z = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def scaled_dot_product_attention(q, k, v, mask=None):
    """q (..., T, d_k), k (..., S, d_k), v (..., S, d_v); mask bool (..., T, S), True = may attend.

    Returns (out (..., T, d_v), weights (..., T, S)).
    """
    d_k = q.shape[-1]
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(d_k)  # (..., T, S)
    if mask is not None:
        # -inf (not a large negative number) so masked keys get exactly zero weight.
        scores = np.where(mask, scores, -np.inf)
    weights = softmax(scores, axis=-1)  # (..., T, S): each query row sums to 1
    return weights @ v, weights  # (..., T, d_v)
