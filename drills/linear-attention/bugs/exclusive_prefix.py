# expect-bug: causal prefix off by one: query i does not see its own key (exclusive prefix sum)
import numpy as np


def phi(x):
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


def linear_attention(q, k, v, causal=False):
    fq, fk = phi(q), phi(k)
    if not causal:
        kv = np.swapaxes(fk, -1, -2) @ v
        z = fk.sum(axis=-2)
        return (fq @ kv) / (fq @ z[..., None])
    outer = fk[..., :, :, None] * v[..., :, None, :]
    # "the state before token i": the current key is subtracted out again
    kv = np.cumsum(outer, axis=-3) - outer
    z = np.cumsum(fk, axis=-2) - fk
    num = np.einsum("...nd,...nde->...ne", fq, kv)
    den = np.einsum("...nd,...nd->...n", fq, z)
    return num / den[..., None]
