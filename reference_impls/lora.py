"""LoRA: a frozen linear layer plus a trainable low-rank update (Hu et al., 2021, "LoRA:
Low-Rank Adaptation of Large Language Models", eq. 3 and section 4.1).

The paper writes h = W0 x + (alpha / r) B A x with W0 (d, k), B (d, r), A (r, k). Here weights
act on row vectors, `x @ w`, so w = W0^T (d_in, d_out), a = A^T (d_in, r), b = B^T (r, d_out):

    out    = x @ w + (alpha / r) * (x @ a) @ b
    merged = w + (alpha / r) * a @ b                     so that x @ merged == out

b starts at zero (A Gaussian, B zero in the paper), so training starts from the base model.
"""
from __future__ import annotations


def lora_forward(x, w, a, b, alpha, r):
    """x (..., d_in), w (d_in, d_out), a (d_in, r), b (r, d_out) -> (..., d_out)."""
    scaling = alpha / r  # alpha fixed while r is tuned keeps the update's size comparable
    # (x @ a) @ b: through the rank-r bottleneck, never forming the (d_in, d_out) update.
    return x @ w + scaling * ((x @ a) @ b)  # (..., d_out)


def lora_merge(w, a, b, alpha, r):
    """The single (d_in, d_out) weight equal to the adapted layer: inference at no extra cost."""
    return w + (alpha / r) * (a @ b)  # (d_in, d_out); rank of the update <= r
