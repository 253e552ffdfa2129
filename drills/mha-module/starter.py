"""Drill: multi-head self-attention as a PyTorch module.

Implement `MultiHeadAttention`. Run `tfprep drill mha-module` to grade this file.
F.scaled_dot_product_attention, nn.MultiheadAttention and nn.Transformer* are refused: write
the attention yourself.
"""
import math  # noqa: F401  (you will want math.sqrt)

import torch  # noqa: F401
from torch import nn


class MultiHeadAttention(nn.Module):
    """Multi-head self-attention with one fused q/k/v projection (as nanoGPT's CausalSelfAttention).

    Args:
        d_model: width C of the input and the output.
        n_heads: number of heads H; it divides d_model and each head has d_head = d_model // H.
        causal: if True, the query at position t may attend only to the keys at positions 0..t
            (itself included); if False (the default), to every position.

    Attributes the grader relies on (their parameters are the module's only parameters):
        qkv: nn.Linear(d_model, 3 * d_model) with its default bias. Its output columns are q,
            then k, then v (d_model columns each); inside each of the three, head h owns the
            columns h * d_head : (h + 1) * d_head.
        proj: nn.Linear(d_model, d_model) with its default bias, applied to the heads' outputs
            put back side by side (head h again in columns h * d_head : (h + 1) * d_head).
    """

    def __init__(self, d_model, n_heads, causal=False):
        super().__init__()
        raise NotImplementedError

    def forward(self, x):
        """x: (B, T, d_model) -> (B, T, d_model), in x's dtype.

        For each head: softmax(q k^T / sqrt(d_head)) v, the softmax over the keys, with the
        keys of later positions hidden when causal; then `proj` of the concatenated heads.
        """
        raise NotImplementedError
