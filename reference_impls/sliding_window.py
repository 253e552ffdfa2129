"""Sliding-window (local) causal attention (Beltagy et al., 2020, "Longformer"; the causal form
used by Mistral 7B, Jiang et al., 2023).

Each query attends only to the `window` most recent keys, itself included:

    allowed(i, j)  <=>  i - window < j <= i
    Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k) + M) V,   M_ij = 0 if allowed(i, j) else -inf

With window >= T this is plain causal attention; with window = 1 each query sees only itself.

Dimension legend: see reference_impls/README.md (T sequence length, d_k, d_v).
"""
from __future__ import annotations

import numpy as np

from tfprep.content.reference_impls.attention import scaled_dot_product_attention


def sliding_window_mask(seq_len: int, window: int) -> np.ndarray:
    """Bool (T, T), True = query i may attend to key j."""
    i = np.arange(seq_len)[:, None]  # (T, 1) query positions
    j = np.arange(seq_len)[None, :]  # (1, T) key positions
    # Both bounds: j <= i keeps it causal, j > i - window keeps exactly `window` keys.
    return (j <= i) & (j > i - window)  # (T, T)


def sliding_window_attention(q, k, v, window: int) -> np.ndarray:
    """q (..., T, d_k), k (..., T, d_k), v (..., T, d_v) -> out (..., T, d_v)."""
    mask = sliding_window_mask(q.shape[-2], window)  # (T, T), broadcasts over batch/head dims
    out, _ = scaled_dot_product_attention(q, k, v, mask)  # (..., T, d_v)
    return out
