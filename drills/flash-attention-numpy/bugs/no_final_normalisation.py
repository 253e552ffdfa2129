# expect-bug: final normalisation missing (acc not divided by l)
import numpy as np


def flash_attention(q, k, v, block_size=64, causal=False):
    N, d = q.shape
    out = np.empty((N, v.shape[1]))
    for start in range(0, N, block_size):
        stop = min(start + block_size, N)
        qi = q[start:stop] / np.sqrt(d)
        m_i = np.full(stop - start, -np.inf)
        l_i = np.zeros(stop - start)
        o_i = np.zeros((stop - start, v.shape[1]))
        last = stop if causal else N
        for ks in range(0, last, block_size):
            ke = min(ks + block_size, last)
            s = qi @ k[ks:ke].T
            if causal:
                s = np.where(np.arange(ks, ke)[None, :] > np.arange(start, stop)[:, None], -np.inf, s)
            m_new = np.maximum(m_i, s.max(axis=1))
            p = np.exp(s - m_new[:, None])
            corr = np.exp(m_i - m_new)
            l_i = corr * l_i + p.sum(axis=1)
            o_i = corr[:, None] * o_i + p @ v[ks:ke]
            m_i = m_new
        out[start:stop] = o_i  # l_i computed but never used
    return out
