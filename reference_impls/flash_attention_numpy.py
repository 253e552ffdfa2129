"""FlashAttention's tiled forward pass in NumPy (Dao et al., 2022, "FlashAttention", Algorithm 1;
loop order and deferred normalisation from Dao, 2023, "FlashAttention-2", Algorithm 1).

Exact attention, O = softmax(Q K^T / sqrt(d)) V, computed one (B_r, B_c) tile of scores at a
time with the online softmax (Milakov & Gimelshein, 2018). For each query block we keep, per row,

    m_i    running max of the scores seen so far
    l_i    running sum of exp(s - m_i)
    acc    running sum of exp(s - m_i) v

and when a new key block raises the max to m_new, the old l_i and acc are rescaled by
alpha = exp(m_i - m_new). After the last key block, O = acc / l_i. Memory is O(N d + B_r B_c):
no (N, N) array ever exists.

Dimension legend: see reference_impls/README.md (N sequence length, d head width).
"""
from __future__ import annotations

import numpy as np


def flash_attention(q, k, v, block_size: int = 64, causal: bool = False) -> np.ndarray:
    """q, k, v (N, d) -> O (N, d); causal: query i sees keys j <= i."""
    N, d = q.shape
    qk_scale = 1.0 / np.sqrt(d)
    out = np.empty((N, v.shape[-1]), dtype=np.result_type(q, k, v, np.float32))
    for q0 in range(0, N, block_size):
        q_i = q[q0:q0 + block_size] * qk_scale  # (B_r, d); the last block may be shorter
        B_r = q_i.shape[0]
        m_i = np.full(B_r, -np.inf)  # (B_r,)
        l_i = np.zeros(B_r)  # (B_r,)
        acc = np.zeros((B_r, v.shape[-1]))  # (B_r, d)
        # Causal: key blocks that start after this query block's last row are fully masked.
        k_end = min(N, q0 + B_r) if causal else N
        for k0 in range(0, k_end, block_size):
            s = q_i @ k[k0:k0 + block_size].T  # (B_r, B_c)
            if causal and k0 + s.shape[1] > q0:  # the block straddles the diagonal
                rows = np.arange(q0, q0 + B_r)[:, None]  # (B_r, 1) global query index
                cols = np.arange(k0, k0 + s.shape[1])[None, :]  # (1, B_c) global key index
                s = np.where(cols <= rows, s, -np.inf)
            # Every row of a visited block has at least one finite score (key k0 <= its index),
            # so m_new is finite and exp never sees (-inf) - (-inf).
            m_new = np.maximum(m_i, s.max(axis=1))  # (B_r,)
            alpha = np.exp(m_i - m_new)  # (B_r,) rescales what was accumulated under the old max
            p = np.exp(s - m_new[:, None])  # (B_r, B_c)
            l_i = alpha * l_i + p.sum(axis=1)
            acc = alpha[:, None] * acc + p @ v[k0:k0 + block_size]  # (B_r, d)
            m_i = m_new
        out[q0:q0 + B_r] = acc / l_i[:, None]  # normalise once, at the end (FlashAttention-2)
    return out
