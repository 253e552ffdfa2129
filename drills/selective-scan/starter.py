"""Drill: Mamba's selective scan, h_t = exp(delta_t A) h_{t-1} + delta_t B_t x_t, y_t = C_t h_t + D x_t (NumPy).

Implement `selective_scan`. Run `tfprep drill selective-scan` to grade this file.
"""
import numpy as np


def selective_scan(x, delta, A, B, C, D):
    """The selective state-space recurrence (Mamba, Algorithm 2), zero-order hold for A, Euler for B.

    Args:
        x: (B, L, D) input, or (L, D) unbatched.
        delta: (B, L, D) positive step sizes, used as given (no softplus); (L, D) unbatched.
        A: (D, N) diagonal state matrix (one row of N entries per channel).
        B: (B, L, N) input matrix, or (L, N) unbatched.
        C: (B, L, N) output matrix, or (L, N) unbatched.
        D: (D,) skip connection.

    A_bar_t = exp(delta_t * A), B_bar_t = delta_t * B_t, h_t = A_bar_t h_{t-1} + B_bar_t x_t (h starts
    at 0 for each sequence), y_t = C_t . h_t + D x_t. Keep only the (B, D, N) state: no (B, L, D, N) array.

    Returns:
        y: same shape as x.
    """
    raise NotImplementedError
