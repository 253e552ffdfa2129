# A correct solution in the chunkwise form used by fast linear-attention kernels: exact (small)
# quadratic attention inside each chunk plus the state carried in from earlier chunks.
import numpy as np

CHUNK = 64


def phi(x):
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


def linear_attention(q, k, v, causal=False):
    fq, fk = phi(q), phi(k)
    if not causal:
        kv = np.matmul(np.swapaxes(fk, -1, -2), v)
        return np.matmul(fq, kv) / np.matmul(fq, np.sum(fk, axis=-2)[..., None])
    n = q.shape[-2]
    out = np.empty(q.shape[:-1] + (v.shape[-1],), dtype=np.result_type(q, v))
    kv = np.zeros(q.shape[:-2] + (q.shape[-1], v.shape[-1]))
    z = np.zeros(q.shape[:-2] + (q.shape[-1],))
    for c0 in range(0, n, CHUNK):
        qc, kc, vc = fq[..., c0:c0 + CHUNK, :], fk[..., c0:c0 + CHUNK, :], v[..., c0:c0 + CHUNK, :]
        w = np.tril(np.matmul(qc, np.swapaxes(kc, -1, -2)))  # (..., c, c) within the chunk only
        num = np.matmul(qc, kv) + np.matmul(w, vc)
        den = np.matmul(qc, z[..., None])[..., 0] + w.sum(axis=-1)
        out[..., c0:c0 + CHUNK, :] = num / den[..., None]
        kv = kv + np.matmul(np.swapaxes(kc, -1, -2), vc)
        z = z + kc.sum(axis=-2)
    return out
