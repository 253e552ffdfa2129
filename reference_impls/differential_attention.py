"""Differential attention (Ye et al., 2024, "Differential Transformer", eq. 1).

Two softmax attention maps over the same values; their difference cancels the attention "noise"
that both put on irrelevant tokens:

    DiffAttn(X) = (softmax(Q1 K1^T / sqrt(d)) - lambda * softmax(Q2 K2^T / sqrt(d))) V

d is the width of one half (Q = [Q1; Q2] is split in two, each d wide), so the scale is
1/sqrt(d), not 1/sqrt(2d). Each map is a proper softmax over the keys before the subtraction;
by linearity (A1 - lambda A2) V = A1 V - lambda A2 V. The paper's per-head GroupNorm, its
(1 - lambda_init) output scale and the re-parameterisation of lambda are outside this function.

Dimension legend: see reference_impls/README.md (T query length, S key length, d = d_k, d_v).
"""
from __future__ import annotations

import numpy as np


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    # Subtract the row max: exp overflows past ~709 in float64 (~88 in float32).
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def differential_attention(q1, k1, q2, k2, v, lam) -> np.ndarray:
    """q1, q2 (..., T, d); k1, k2 (..., S, d); v (..., S, d_v); lam a float -> out (..., T, d_v)."""
    qk_scale = 1.0 / np.sqrt(q1.shape[-1])  # d of one half
    A1 = softmax(q1 @ np.swapaxes(k1, -1, -2) * qk_scale)  # (..., T, S), rows sum to 1
    A2 = softmax(q2 @ np.swapaxes(k2, -1, -2) * qk_scale)  # (..., T, S), rows sum to 1
    return (A1 - lam * A2) @ v  # (..., T, d_v); rows of A1 - lam A2 sum to 1 - lam
