"""Drill: the LoRA forward pass and weight merge (low-rank adaptation), in NumPy.

Implement `lora_forward` and `lora_merge`. Run `tfprep drill lora` to grade this file.
"""
import numpy as np


def lora_forward(x, w, a, b, alpha, r):
    """A frozen linear layer plus its low-rank update: x @ w + (alpha / r) * x @ a @ b.

    Args:
        x: inputs, shape (..., d_in).
        w: frozen base weight, shape (d_in, d_out).
        a: low-rank factor, shape (d_in, r).
        b: low-rank factor, shape (r, d_out) (zeros at initialisation).
        alpha, r: the LoRA scale is alpha / r.

    Returns:
        Array of shape (..., d_out).
    """
    raise NotImplementedError


def lora_merge(w, a, b, alpha, r):
    """The single weight equal to the adapted layer: w + (alpha / r) * a @ b.

    Args:
        w: base weight (d_in, d_out); a (d_in, r); b (r, d_out); alpha, r as in lora_forward.

    Returns:
        Array of shape (d_in, d_out), with x @ merged == lora_forward(x, w, a, b, alpha, r).
    """
    raise NotImplementedError
