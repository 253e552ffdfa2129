# A correct solution in the layout of Mamba's reference code: channels first (B, D, L), the state
# (B, D, N) updated in float32 as the official selective_scan_ref does, one step at a time.
import numpy as np


def selective_scan(x, delta, A, B, C, D):
    unbatched = x.ndim == 2
    if unbatched:
        x, delta, B, C = x[None], delta[None], B[None], C[None]
    u = np.transpose(x, (0, 2, 1)).astype(np.float32)  # (B, D, L)
    dt = np.transpose(delta, (0, 2, 1)).astype(np.float32)  # (B, D, L)
    A32, B32, C32 = A.astype(np.float32), B.astype(np.float32), C.astype(np.float32)
    state = np.zeros((u.shape[0], A.shape[0], A.shape[1]), dtype=np.float32)  # (B, D, N)
    ys = []
    for i in range(u.shape[2]):
        deltaA = np.exp(np.einsum("bd,dn->bdn", dt[:, :, i], A32))
        deltaB_u = np.einsum("bd,bn,bd->bdn", dt[:, :, i], B32[:, i], u[:, :, i])
        state = deltaA * state + deltaB_u
        ys.append(np.einsum("bdn,bn->bd", state, C32[:, i]))
    y = np.stack(ys, axis=2)  # (B, D, L)
    out = y + u * D.astype(np.float32)[None, :, None]
    out = np.transpose(out, (0, 2, 1))  # (B, L, D)
    return out[0] if unbatched else out
