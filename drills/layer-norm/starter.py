"""Drill: LayerNorm and RMSNorm (NumPy).

Implement `layer_norm` and `rms_norm`. Run `tfprep drill layer-norm` to grade this file.
"""
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    """LayerNorm over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta.

    Args:
        x: (..., D) input; each length-D vector is normalised on its own.
        gamma: (D,) scale.
        beta: (D,) shift.
        eps: added to the (biased) variance inside the square root.

    Returns:
        (..., D) array.
    """
    raise NotImplementedError


def rms_norm(x, weight, eps=1e-6):
    """RMSNorm over the last axis: x / sqrt(mean(x**2) + eps) * weight.

    Args:
        x: (..., D) input; each length-D vector is normalised on its own.
        weight: (D,) scale.
        eps: added to the mean square inside the square root.

    Returns:
        (..., D) array.
    """
    raise NotImplementedError
