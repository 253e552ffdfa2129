# expect-bug: discretisation wrong: A_bar = 1 + delta*A (Euler) instead of exp(delta*A) (zero-order hold)
import numpy as np


def selective_scan(x, delta, A, B, C, D):
    unbatched = x.ndim == 2
    if unbatched:
        x, delta, B, C = x[None], delta[None], B[None], C[None]
    h = np.zeros((x.shape[0],) + A.shape)
    ys = []
    for t in range(x.shape[1]):
        dt = delta[:, t, :, None]
        h = (1.0 + dt * A) * h + dt * B[:, t, None, :] * x[:, t, :, None]  # first-order step for A too
        ys.append((h * C[:, t, None, :]).sum(-1))
    y = np.stack(ys, axis=1) + D * x
    return y[0] if unbatched else y
