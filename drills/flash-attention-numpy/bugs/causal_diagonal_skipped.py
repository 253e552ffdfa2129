# expect-bug: causal blocks wrong: the diagonal block is skipped
import numpy as np


def flash_attention(q, k, v, block_size=64, causal=False):
    N, d = q.shape
    n_blocks = (N + block_size - 1) // block_size
    out = np.zeros((N, v.shape[1]))
    for bi in range(n_blocks):
        qs = slice(bi * block_size, min((bi + 1) * block_size, N))
        qb = q[qs] / np.sqrt(d)
        m = np.full(qb.shape[0], -np.inf)
        l = np.zeros(qb.shape[0])
        acc = np.zeros((qb.shape[0], v.shape[1]))
        # causal: only blocks below the diagonal
        for bj in range(bi if causal else n_blocks):
            ks = slice(bj * block_size, min((bj + 1) * block_size, N))
            s = qb @ k[ks].T
            m_new = np.maximum(m, s.max(axis=1))
            p = np.exp(s - m_new[:, None])
            a = np.exp(m - m_new)
            l = a * l + p.sum(axis=1)
            acc = a[:, None] * acc + p @ v[ks]
            m = m_new
        out[qs] = acc / l[:, None]
    return out
