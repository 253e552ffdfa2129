# expect-bug: feature map elu(x) without the + 1 (weights can be negative)
import numpy as np


def elu(x):
    return np.where(x > 0, x, np.exp(np.minimum(x, 0.0)) - 1.0)


def linear_attention(q, k, v, causal=False):
    fq, fk = elu(q), elu(k)
    if causal:
        kv = np.cumsum(fk[..., :, :, None] * v[..., :, None, :], axis=-3)
        z = np.cumsum(fk, axis=-2)
        return np.einsum("...nd,...nde->...ne", fq, kv) / np.sum(fq * z, axis=-1)[..., None]
    return (fq @ (np.swapaxes(fk, -1, -2) @ v)) / (fq @ fk.sum(axis=-2)[..., None])
