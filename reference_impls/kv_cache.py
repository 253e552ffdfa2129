"""Incremental (cached) decoding for causal multi-head attention.

In causal self-attention the keys and values of past tokens never change, so a decoder keeps
them in a cache and, at each step, projects only the new tokens:

    K_{1..t+n} = [K_cache ; x_new W^K],   V_{1..t+n} = [V_cache ; x_new W^V]
    out_new    = MultiHead(x_new W^Q, K_{1..t+n}, V_{1..t+n})    (causal, bottom-right aligned)

Step by step this gives exactly the rows of full causal attention over the whole sequence,
at O(t) instead of O(t^2) work per generated token (Pope et al., 2022, "Efficiently Scaling
Transformer Inference", section 2).

Dimension legend: see reference_impls/README.md (B batch, H heads, D model width, dh head width;
here t = cached length, n = new tokens, 1 when decoding, more for a prompt prefill).
"""
from __future__ import annotations

import numpy as np

from tfprep.content.reference_impls.attention import scaled_dot_product_attention
from tfprep.content.reference_impls.causal_mask import causal_mask
from tfprep.content.reference_impls.multi_head_attention import merge_heads, split_heads


def attend_step(x_t, cache, w_q, w_k, w_v, w_o, n_heads):
    """x_t (B, n, D) new tokens; cache None or {"k", "v"} each (B, H, t, dh); w_* (D, D).

    Returns (out_t (B, n, D), cache {"k", "v"} each (B, H, t + n, dh)).
    """
    q = split_heads(x_t @ w_q, n_heads)  # (B, H, n, dh)
    k = split_heads(x_t @ w_k, n_heads)  # (B, H, n, dh)
    v = split_heads(x_t @ w_v, n_heads)  # (B, H, n, dh)
    if cache is not None:
        # Time is axis 2 of (B, H, t, dh): the new tokens go after the cached ones.
        k = np.concatenate([cache["k"], k], axis=2)  # (B, H, t + n, dh)
        v = np.concatenate([cache["v"], v], axis=2)  # (B, H, t + n, dh)
    n, S = q.shape[2], k.shape[2]
    # New token i sits at position S - n + i: it sees the whole cache and the new tokens up
    # to itself. For n = 1 the mask is all True (the last query sees every key).
    heads, _ = scaled_dot_product_attention(q, k, v, causal_mask(n, S))  # (B, H, n, dh)
    return merge_heads(heads) @ w_o, {"k": k, "v": v}  # (B, n, D)
