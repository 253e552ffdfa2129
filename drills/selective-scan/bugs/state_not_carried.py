# expect-bug: state not carried (h_t = B_bar x_t, the A_bar h_{t-1} term is lost)
import numpy as np


def selective_scan(x, delta, A, B, C, D):
    squeeze = x.ndim == 2
    if squeeze:
        x, delta, B, C = x[None], delta[None], B[None], C[None]
    batch, L, d = x.shape
    h = np.zeros((batch, d, A.shape[1]))
    y = np.zeros_like(x, dtype=float)
    for t in range(L):
        A_bar = np.exp(delta[:, t, :, None] * A)
        B_bar = delta[:, t, :, None] * B[:, t, None, :]
        h_t = A_bar * h + B_bar * x[:, t, :, None]  # computed... but h itself is never updated
        y[:, t] = np.einsum("bdn,bn->bd", h_t, C[:, t]) + D * x[:, t]
    return y[0] if squeeze else y
