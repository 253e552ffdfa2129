"""Softmax with a temperature, and its backward pass (Bridle, 1990; temperature as in
Hinton et al., 2015, "Distilling the Knowledge in a Neural Network").

    y = softmax(x / tau),   y_i = exp(x_i / tau) / sum_j exp(x_j / tau)

Backward, for the softmax of z (tau = 1): the Jacobian is dy/dz = diag(y) - y y^T, so for an
upstream gradient g = dL/dy the vector-Jacobian product is

    dL/dz = y * (g - sum_j g_j y_j)

computed without ever forming the (n, n) Jacobian.
"""
from __future__ import annotations

import numpy as np

# The stable softmax lives with attention; this module adds the temperature and the gradient.
from tfprep.content.reference_impls.attention import softmax as _stable_softmax


def softmax(x: np.ndarray, axis: int = -1, temperature: float = 1.0) -> np.ndarray:
    # tau > 1 flattens the distribution, tau < 1 sharpens it: the logits are *divided* by tau.
    return _stable_softmax(np.asarray(x) / temperature, axis=axis)


def softmax_backward(grad_out: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    """grad_out = dL/dy, y = softmax(z) (same shape); returns dL/dz (same shape)."""
    # <g, y> along the softmax axis: the part of g that the normalisation takes away.
    gy = np.sum(grad_out * y, axis=axis, keepdims=True)  # (..., 1, ...) on `axis`
    return y * (grad_out - gy)
