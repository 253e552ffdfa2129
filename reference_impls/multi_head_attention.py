"""Multi-head attention (Vaswani et al., 2017, "Attention Is All You Need", section 3.2.2).

    MultiHead(X) = Concat(head_1, ..., head_H) W^O,
    head_h       = Attention(X W^Q_h, C W^K_h, C W^V_h)

where C = X (self-attention) or the encoder output (cross-attention). The per-head
projections W^Q_h (D, dh) are the column blocks h*dh:(h+1)*dh of one (D, D) matrix W^Q,
so a single `x @ w_q` computes every head at once and a reshape splits them.

Dimension legend: see reference_impls/README.md (B batch, T query length, S key length,
H heads, D model width, dh = D / H head width).
"""
from __future__ import annotations

import numpy as np

from tfprep.content.reference_impls.attention import scaled_dot_product_attention


def split_heads(x: np.ndarray, n_heads: int) -> np.ndarray:
    """(B, T, D) -> (B, H, T, dh): head h takes columns h*dh:(h+1)*dh."""
    B, T, D = x.shape
    # Reshape first (splits D into (H, dh) in memory order), then move H in front of T;
    # reshaping straight to (B, H, T, dh) would mix tokens and heads.
    return x.reshape(B, T, n_heads, D // n_heads).transpose(0, 2, 1, 3)  # (B, H, T, dh)


def merge_heads(x: np.ndarray) -> np.ndarray:
    """(B, H, T, dh) -> (B, T, D): the inverse of split_heads (heads concatenated in order)."""
    B, H, T, dh = x.shape
    return x.transpose(0, 2, 1, 3).reshape(B, T, H * dh)  # (B, T, D)


def multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, mask=None, context=None):
    """x (B, T, D); w_* (D, D); context (B, S, D) or None; mask bool broadcastable to (B, H, T, S).

    Returns (B, T, D).
    """
    c = x if context is None else context  # keys and values come from the context
    q = split_heads(x @ w_q, n_heads)  # (B, H, T, dh)
    k = split_heads(c @ w_k, n_heads)  # (B, H, S, dh)
    v = split_heads(c @ w_v, n_heads)  # (B, H, S, dh)
    # Scaled by sqrt(dh) inside: each head is an ordinary dh-wide attention.
    heads, _ = scaled_dot_product_attention(q, k, v, mask)  # (B, H, T, dh)
    return merge_heads(heads) @ w_o  # (B, T, D)
