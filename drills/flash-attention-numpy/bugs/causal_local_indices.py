# expect-bug: causal blocks wrong: mask built from block-local indices
import numpy as np


def flash_attention(q, k, v, block_size=64, causal=False):
    N, d = q.shape
    out = np.zeros((N, v.shape[1]))
    for i in range(0, N, block_size):
        q_blk = q[i:i + block_size] / np.sqrt(d)
        rows = q_blk.shape[0]
        m = np.full((rows, 1), -np.inf)
        l = np.zeros((rows, 1))
        acc = np.zeros((rows, v.shape[1]))
        for j in range(0, (i + rows) if causal else N, block_size):
            s = q_blk @ k[j:j + block_size].T
            if causal:
                # lower triangle of the tile
                s = np.where(np.tril(np.ones(s.shape, dtype=bool)), s, -np.inf)
            m_new = np.maximum(m, s.max(axis=1, keepdims=True))
            p = np.exp(s - m_new)
            alpha = np.exp(m - m_new)
            l = alpha * l + p.sum(axis=1, keepdims=True)
            acc = alpha * acc + p @ v[j:j + block_size]
            m = m_new
        out[i:i + rows] = acc / l
    return out
