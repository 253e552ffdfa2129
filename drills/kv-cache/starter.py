"""Drill: KV cache for incremental decoding (NumPy).

Implement `attend_step`. Run `tfprep drill kv-cache` to grade this file.
"""
import numpy as np


def attend_step(x_t, cache, w_q, w_k, w_v, w_o, n_heads):
    """One step of causal multi-head self-attention with a key/value cache.

    Args:
        x_t: (B, n, d_model) new tokens; n = 1 when decoding, n > 1 for a prompt chunk.
        cache: None on the first call, else {"k": (B, H, t, dh), "v": (B, H, t, dh)} for the
            t tokens seen so far.
        w_q, w_k, w_v, w_o: (d_model, d_model) projections, applied as `x @ w`.
        n_heads: H; dh = d_model // H, head h owns columns h*dh:(h+1)*dh.

    New token i sees every cached token and new tokens 0..i.

    Returns:
        (out_t, cache): out_t (B, n, d_model); cache {"k", "v"} each (B, H, t + n, dh).
    """
    raise NotImplementedError
