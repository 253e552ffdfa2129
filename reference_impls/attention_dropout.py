"""Attention with inverted dropout on the attention weights (Srivastava et al., 2014, "Dropout:
A Simple Way to Prevent Neural Networks from Overfitting"; applied to the attention weights as in
Vaswani et al., 2017, "Attention Is All You Need", and in BERT / GPT-2 / Hugging Face code).

    A = softmax(Q K^T / sqrt(d_k))                      (..., T, S)
    m_ij ~ Bernoulli(1 - p)  independently              keep with probability 1 - p
    A~ = m * A / (1 - p)                                inverted dropout: E[A~] = A
    out = A~ V                                          (..., T, d_v)

"Inverted" means the 1 / (1 - p) is paid at training time, so inference (training=False) is
plain attention with no rescaling. The weights returned are A~, the ones that multiply V.

Dimension legend: see reference_impls/README.md (T query length, S key length, d_k, d_v).
"""
from __future__ import annotations

import numpy as np


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # Subtract the row max: exp overflows past ~709 in float64 (~88 in float32).
    z = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=axis, keepdims=True)


def attention_weights(q, k):
    """softmax(q k^T / sqrt(d_k)) over the keys: (..., T, S)."""
    d_k = q.shape[-1]
    return softmax(q @ np.swapaxes(k, -1, -2) / np.sqrt(d_k), axis=-1)  # (..., T, S)


def attention_with_dropout(q, k, v, p, rng: np.random.Generator, training=True):
    """q (..., T, d_k), k (..., S, d_k), v (..., S, d_v); p = drop probability in [0, 1).

    Returns (out (..., T, d_v), weights (..., T, S)), weights being those applied to v.
    """
    weights = attention_weights(q, k)  # (..., T, S)
    if training and p > 0:
        # One independent keep/drop draw per weight; dividing the kept ones by 1 - p keeps
        # every expectation unchanged, so nothing needs rescaling at inference.
        keep = rng.random(weights.shape) >= p  # (..., T, S), True with probability 1 - p
        weights = np.where(keep, weights / (1.0 - p), 0.0)
    return weights @ v, weights  # (..., T, d_v), (..., T, S)
