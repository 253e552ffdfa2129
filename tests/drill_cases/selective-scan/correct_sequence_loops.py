# A correct solution with explicit loops over the batch and over time: one (D, N) state per sequence.
import numpy as np


def scan_one(x, delta, A, B, C, D):
    """x, delta (L, D); B, C (L, N) -> y (L, D)."""
    state = np.zeros(A.shape)
    out = np.zeros(x.shape)
    for t in range(x.shape[0]):
        step = delta[t][:, None]  # (D, 1)
        state = np.exp(step * A) * state + (step * B[t][None, :]) * x[t][:, None]
        out[t] = state @ C[t] + D * x[t]
    return out


def selective_scan(x, delta, A, B, C, D):
    if x.ndim == 2:
        return scan_one(x, delta, A, B, C, D)
    return np.stack([scan_one(x[b], delta[b], A, B[b], C[b], D) for b in range(x.shape[0])])
