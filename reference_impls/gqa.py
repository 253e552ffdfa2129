"""Grouped-query attention (Ainslie et al., 2023, "GQA: Training Generalized Multi-Query
Transformer Models from Multi-Head Checkpoints").

H_q query heads share H_kv key/value heads in groups of G = H_q / H_kv consecutive heads:

    head_h = Attention(Q_h, K_{h // G}, V_{h // G})

H_kv = 1 is multi-query attention (Shazeer, 2019); H_kv = H_q is ordinary multi-head attention.

Dimension legend: see reference_impls/README.md (B batch, T query length, S key length,
Hq query heads, Hkv key/value heads, d_k, d_v).
"""
from __future__ import annotations

import numpy as np

from tfprep.content.reference_impls.attention import scaled_dot_product_attention


def repeat_kv(kv: np.ndarray, n_rep: int) -> np.ndarray:
    """(B, Hkv, S, d) -> (B, Hkv * n_rep, S, d), each head repeated n_rep times in place
    (kv heads 0,0,1,1,... like torch.repeat_interleave, not 0,1,0,1,... like np.tile)."""
    return np.repeat(kv, n_rep, axis=1)  # (B, Hq, S, d)


def grouped_query_attention(q, k, v, mask=None):
    """q (B, Hq, T, d_k), k (B, Hkv, S, d_k), v (B, Hkv, S, d_v); mask bool broadcastable
    to (B, Hq, T, S), True = may attend. Returns (B, Hq, T, d_v)."""
    Hq, Hkv = q.shape[1], k.shape[1]
    if Hq % Hkv:
        raise ValueError(f"Hq={Hq} is not a multiple of Hkv={Hkv}")
    G = Hq // Hkv  # query heads per kv head
    # Materialising the repeat is the simplest correct form; real kernels index kv head h // G
    # instead, which is the point of GQA (a G-times smaller KV cache).
    out, _ = scaled_dot_product_attention(q, repeat_kv(k, G), repeat_kv(v, G), mask)
    return out  # (B, Hq, T, d_v)
