"""Rotary position embedding, RoPE (Su et al., 2021, "RoFormer: Enhanced Transformer with Rotary
Position Embedding", eq. 34).

Each pair of channels (a, b) of the vector at position p is rotated by the angle p * theta_i,

    theta_i = base^(-2i/d),   i = 0 .. d/2 - 1
    (a, b) -> (a cos(p theta_i) - b sin(p theta_i),  a sin(p theta_i) + b cos(p theta_i))

so <R(m) q, R(n) k> = <q, R(n - m) k> depends only on the offset m - n. Two layouts of the pairs
are in use: interleaved, pairs (x[2i], x[2i+1]) (the paper; Meta's LLaMA code via complex
numbers), and half-split, pairs (x[i], x[i + d/2]) (GPT-NeoX; Hugging Face's `rotate_half`).
They are the same rotation up to a permutation of the channels, but weights trained for one
are wrong in the other.

Dimension legend: see reference_impls/README.md (T positions, d head width).
"""
from __future__ import annotations

import numpy as np


def rope_frequencies(d: int, base: float = 10000.0) -> np.ndarray:
    """theta_i = base^(-2i/d) for i = 0 .. d/2 - 1: from 1 rad/position down to ~1/base."""
    return base ** (-np.arange(0, d, 2, dtype=np.float64) / d)  # (d/2,)


def rotate_pairs(a, b, cos, sin):
    """Rotate each 2-d point (a, b) by the angle whose cos and sin are given."""
    return a * cos - b * sin, a * sin + b * cos


def apply_rope(x: np.ndarray, positions, base: float = 10000.0, interleaved: bool = True) -> np.ndarray:
    """x (..., T, d) with d even, positions int (T,); returns x rotated, same shape."""
    d = x.shape[-1]
    angles = np.asarray(positions, dtype=np.float64)[:, None] * rope_frequencies(d, base)  # (T, d/2)
    cos, sin = np.cos(angles), np.sin(angles)  # (T, d/2), broadcast over the leading dims of x
    if interleaved:
        a, b = x[..., 0::2], x[..., 1::2]  # (..., T, d/2): pair i = (x[2i], x[2i+1])
        ra, rb = rotate_pairs(a, b, cos, sin)
        return np.stack([ra, rb], axis=-1).reshape(ra.shape[:-1] + (d,))  # (..., T, d/2, 2) -> (..., T, d)
    a, b = x[..., : d // 2], x[..., d // 2:]  # (..., T, d/2): pair i = (x[i], x[i + d/2])
    return np.concatenate(rotate_pairs(a, b, cos, sin), axis=-1)  # (..., T, d)
