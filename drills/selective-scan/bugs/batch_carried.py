# expect-bug: state carried over from one sequence of the batch to the next (h must start at 0 for each)
import numpy as np


def selective_scan(x, delta, A, B, C, D):
    if x.ndim == 2:
        return selective_scan(x[None], delta[None], A, B[None], C[None], D)[0]
    y = np.zeros(x.shape)
    h = np.zeros(A.shape)  # (D, N), set up once for the whole batch
    for b in range(x.shape[0]):
        for t in range(x.shape[1]):
            dt = delta[b, t][:, None]
            h = np.exp(dt * A) * h + dt * B[b, t] * x[b, t][:, None]
            y[b, t] = h @ C[b, t] + D * x[b, t]
    return y
