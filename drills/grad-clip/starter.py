"""Drill: clip a list of gradients by their global L2 norm (as torch.nn.utils.clip_grad_norm_), in NumPy.

Implement `clip_grad_norm`. Run `tfprep drill grad-clip` to grade this file.
"""
import numpy as np


def clip_grad_norm(grads, max_norm):
    """Scale a list of gradients so that their total L2 norm is at most max_norm.

    Args:
        grads: list of arrays, one per parameter, of any (different) shapes.
        max_norm: positive number.

    Returns:
        (clipped, total_norm): clipped is a list of arrays with the shapes of grads, in order;
        total_norm is a float, the global L2 norm of grads before clipping. Every array is
        multiplied by clip_coef = max_norm / (total_norm + 1e-6) when clip_coef < 1.
    """
    raise NotImplementedError
