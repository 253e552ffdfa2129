"""Drill: a pre-LN Transformer block (NumPy).

Implement `pre_ln_block`. Run `tfprep drill transformer-block` to grade this file.
"""
import math

import numpy as np


def pre_ln_block(x, p, n_heads, causal=True):
    """h = x + MHA(LN1(x)); out = h + GELU(LN2(h) @ w_1 + b_1) @ w_2 + b_2.

    Args:
        x: (B, T, d_model).
        p: dict with ln1_g, ln1_b, ln2_g, ln2_b (d_model,); w_q, w_k, w_v, w_o (d_model, d_model);
            w_1 (d_model, d_ff), b_1 (d_ff,); w_2 (d_ff, d_model), b_2 (d_model,).
            Weights are applied as `h @ w`; LayerNorm eps = 1e-5; GELU is the exact erf form.
        n_heads: heads of the attention; dh = d_model // n_heads.
        causal: if True, token i attends only to tokens j <= i.

    Returns:
        (B, T, d_model)
    """
    raise NotImplementedError
