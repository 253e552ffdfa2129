"""A pre-LN Transformer block (GPT-2; Xiong et al., 2020, "On Layer Normalization in the
Transformer Architecture").

    h   = x + MultiHead(LN_1(x))                  (causal mask when causal=True)
    out = h + W_2 GELU(W_1 LN_2(h) + b_1) + b_2   (exact, erf-based GELU)

Pre-LN normalises the *input* of each sublayer and leaves the residual stream untouched, so
gradients reach early layers without passing through a LayerNorm; the original post-LN
Transformer computes LN(x + Sublayer(x)) instead.

Dimension legend: see reference_impls/README.md (B batch, T length, H heads, D model width,
F hidden width of the MLP, usually 4 D).
"""
from __future__ import annotations

from tfprep.content.reference_impls.causal_mask import causal_mask
from tfprep.content.reference_impls.feed_forward import gelu
from tfprep.content.reference_impls.layer_norm import layer_norm
from tfprep.content.reference_impls.multi_head_attention import multi_head_attention


def mlp(x, w_1, b_1, w_2, b_2):
    """x (..., D), w_1 (D, F), b_1 (F,), w_2 (F, D), b_2 (D,) -> (..., D)."""
    return gelu(x @ w_1 + b_1) @ w_2 + b_2  # (..., F) -> (..., D)


def pre_ln_block(x, p, n_heads, causal=True):
    """x (B, T, D); p: dict of ln1_g, ln1_b, w_q, w_k, w_v, w_o, ln2_g, ln2_b (D,) or (D, D),
    w_1 (D, F), b_1 (F,), w_2 (F, D), b_2 (D,). Returns (B, T, D)."""
    mask = causal_mask(x.shape[-2]) if causal else None  # (T, T), shared by batch and heads
    a = layer_norm(x, p["ln1_g"], p["ln1_b"])  # (B, T, D)
    h = x + multi_head_attention(a, p["w_q"], p["w_k"], p["w_v"], p["w_o"], n_heads, mask=mask)
    m = layer_norm(h, p["ln2_g"], p["ln2_b"])  # (B, T, D)
    return h + mlp(m, p["w_1"], p["b_1"], p["w_2"], p["b_2"])  # (B, T, D)
