"""Gradient clipping by the global norm (Pascanu, Mikolov & Bengio, 2013, "On the difficulty
of training recurrent neural networks", Algorithm 1), with the exact rule of
`torch.nn.utils.clip_grad_norm_`:

    total_norm = sqrt(sum over every tensor g_i of sum(g_i^2))      one norm for the whole list
    clip_coef  = max_norm / (total_norm + 1e-6)
    g_i       <- g_i * clip_coef        only when clip_coef < 1

Every tensor is scaled by the same factor, so the update keeps its direction; only its length
is capped at (just under) max_norm.
"""
from __future__ import annotations

import numpy as np

EPS = 1e-6  # torch's: keeps the division finite when every gradient is zero


def global_norm(grads) -> float:
    """The L2 norm of all entries of all arrays, as if they were one flat vector."""
    return float(np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads)))


def clip_grad_norm(grads, max_norm):
    """grads: list of arrays (any shapes). Returns (clipped list, total_norm before clipping)."""
    total_norm = global_norm(grads)
    clip_coef = max_norm / (total_norm + EPS)
    if clip_coef < 1.0:
        return [g * clip_coef for g in grads], total_norm
    return [np.array(g, copy=True) for g in grads], total_norm
