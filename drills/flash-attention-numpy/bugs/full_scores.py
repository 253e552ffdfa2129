# expect-bug: full score matrix materialised
import numpy as np


def flash_attention(q, k, v, block_size=64, causal=False):
    # "tiled" only in name: the whole (N, N) score matrix is built first
    N, d = q.shape
    S = q @ k.T / np.sqrt(d)
    if causal:
        S = np.where(np.tril(np.ones((N, N), dtype=bool)), S, -np.inf)
    out = np.zeros_like(v, dtype=np.float64)
    for i in range(0, N, block_size):
        s = S[i:i + block_size]
        p = np.exp(s - s.max(axis=1, keepdims=True))
        out[i:i + block_size] = (p / p.sum(axis=1, keepdims=True)) @ v
    return out
