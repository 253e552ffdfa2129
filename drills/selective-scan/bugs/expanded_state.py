# expect-bug: expanded (B, L, D, N) array materialised (keep only the running (B, D, N) state)
import numpy as np


def selective_scan(x, delta, A, B, C, D):
    # Right values, but every A_bar and every B_bar x is precomputed: (B, L, D, N) arrays.
    squeeze = x.ndim == 2
    if squeeze:
        x, delta, B, C = x[None], delta[None], B[None], C[None]
    deltaA = np.exp(np.einsum("bld,dn->bldn", delta, A))
    deltaB_u = np.einsum("bld,bln,bld->bldn", delta, B, x)
    h = np.zeros((x.shape[0],) + A.shape)
    ys = []
    for t in range(x.shape[1]):
        h = deltaA[:, t] * h + deltaB_u[:, t]
        ys.append(np.einsum("bdn,bn->bd", h, C[:, t]))
    y = np.stack(ys, axis=1) + x * D
    return y[0] if squeeze else y
