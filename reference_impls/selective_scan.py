"""Selective scan, the recurrence at the core of Mamba (Gu & Dao, 2023, "Mamba: Linear-Time
Sequence Modeling with Selective State Spaces", Algorithm 2 and eq. 4; discretisation as in
section 2 and the paper's code: zero-order hold for A, a simplified Euler step for B).

Per channel d and state index n, with input-dependent delta, B, C:

    A_bar_t = exp(delta_t * A)          (ZOH)       (B, D, N)
    B_bar_t = delta_t * B_t             (Euler)     (B, D, N)
    h_t     = A_bar_t * h_{t-1} + B_bar_t * x_t,    h_{-1} = 0
    y_t     = C_t . h_t + D * x_t       (sum over n; D is the skip connection)

Only the running (B, D, N) state is kept: the expanded (B, L, D, N) state is never materialised
(section 3.3.2: the hardware-aware scan keeps it in SRAM for exactly this reason).

Dimension legend (this drill's own, from the paper): B batch, L sequence length, D channels,
N state size per channel. Unbatched inputs drop the B axis.
"""
from __future__ import annotations

import numpy as np


def selective_scan(x, delta, A, B, C, D) -> np.ndarray:
    """x, delta (B, L, D); A (D, N); B, C (B, L, N); D (D,) -> y (B, L, D). Unbatched: no B axis."""
    if x.ndim == 2:  # unbatched: (L, D) and (L, N)
        return selective_scan(x[None], delta[None], A, B[None], C[None], D)[0]
    batch, L, _ = x.shape
    h = np.zeros((batch,) + A.shape, dtype=np.result_type(x, delta, A, B, C, np.float32))  # (B, D, N)
    y = np.empty((batch, L, A.shape[0]), dtype=h.dtype)  # (B, L, D)
    for t in range(L):
        dt = delta[:, t, :, None]  # (B, D, 1)
        A_bar = np.exp(dt * A)  # (B, D, N): ZOH, exact for the linear part
        B_bar = dt * B[:, t, None, :]  # (B, D, N): Euler, (delta B) as Mamba's code does
        h = A_bar * h + B_bar * x[:, t, :, None]  # (B, D, N)
        y[:, t] = np.einsum("bdn,bn->bd", h, C[:, t])  # (B, D): read the *updated* state
    return y + D * x  # skip connection D x, (B, L, D)
