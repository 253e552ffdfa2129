"""Drill: GELU and the SwiGLU feed-forward block (NumPy).

Implement `gelu` and `swiglu_ffn`. Run `tfprep drill feed-forward` to grade this file.
"""
import math

import numpy as np


def gelu(x, approximate=False):
    """GELU(x) = x * Phi(x), Phi the standard normal CDF, applied elementwise.

    Args:
        x: array of any shape.
        approximate: False -> exact form with erf; True -> the tanh approximation
            0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).

    Returns:
        array of the same shape as x.
    """
    raise NotImplementedError


def swiglu_ffn(x, w_gate, w_up, w_down):
    """SwiGLU feed-forward: (silu(x @ w_gate) * (x @ w_up)) @ w_down, silu(z) = z * sigmoid(z).

    Args:
        x: (..., D) input tokens.
        w_gate: (D, F) gate projection (goes through SiLU).
        w_up: (D, F) up projection (enters linearly).
        w_down: (F, D) down projection.

    Returns:
        (..., D) array.
    """
    raise NotImplementedError
