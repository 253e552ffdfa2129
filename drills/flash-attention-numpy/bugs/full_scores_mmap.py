# expect-bug: full score matrix materialised
import mmap

import numpy as np


def flash_attention(q, k, v, block_size=64, causal=False):
    # The whole (N, N) score matrix, in memory NumPy did not allocate (tracemalloc cannot see it)
    n, d = q.shape
    buf = mmap.mmap(-1, n * n * 8)
    s = np.frombuffer(buf, dtype=np.float64).reshape(n, n)
    np.matmul(q.astype(np.float64), k.T.astype(np.float64), out=s)
    s /= np.sqrt(d)
    if causal:
        s[np.triu_indices(n, 1)] = -np.inf
    out = np.empty((n, v.shape[1]))
    for i in range(0, n, block_size):
        rows = s[i:i + block_size]
        p = np.exp(rows - rows.max(axis=1, keepdims=True))
        out[i:i + block_size] = (p / p.sum(axis=1, keepdims=True)) @ v
    return out
