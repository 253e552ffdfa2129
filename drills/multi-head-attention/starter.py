"""Drill: multi-head attention (NumPy).

Implement `multi_head_attention`. Run `tfprep drill multi-head-attention` to grade this file.
"""
import numpy as np


def multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, mask=None, context=None):
    """MultiHead(x) = Concat(head_1, ..., head_H) @ w_o, head_h = softmax(q_h k_h^T / sqrt(dh)) v_h.

    Args:
        x: (B, T, d_model) queries' input (and keys'/values' input for self-attention).
        w_q, w_k, w_v, w_o: (d_model, d_model) projections, applied as `x @ w`.
        n_heads: number of heads H; dh = d_model // H, head h owns columns h*dh:(h+1)*dh.
        mask: optional bool array broadcastable to (B, H, T, S); True = query may attend to key.
        context: optional (B, S, d_model); when given, keys and values come from it
            (cross-attention), otherwise from x (S = T).

    Returns:
        (B, T, d_model)
    """
    raise NotImplementedError
