# expect-bug: running max rescale missing (acc and l not multiplied by exp(m_old - m_new))
import numpy as np


def flash_attention(q, k, v, block_size=64, causal=False):
    N, d = q.shape
    scale = 1.0 / np.sqrt(d)
    out = np.zeros((N, d))
    for qs in range(0, N, block_size):
        qb = q[qs:qs + block_size]
        br = qb.shape[0]
        m = np.full(br, -np.inf)
        l = np.zeros(br)
        acc = np.zeros((br, d))
        for ks in range(0, N, block_size):
            s = qb @ k[ks:ks + block_size].T * scale
            if causal:
                qi = np.arange(qs, qs + br)[:, None]
                kj = np.arange(ks, ks + s.shape[1])[None, :]
                s[kj > qi] = -np.inf
            m = np.maximum(m, s.max(axis=1))
            p = np.exp(s - m[:, None])
            p[np.isnan(p)] = 0.0
            l += p.sum(axis=1)
            acc += p @ v[ks:ks + block_size]
        out[qs:qs + br] = acc / l[:, None]
    return out
