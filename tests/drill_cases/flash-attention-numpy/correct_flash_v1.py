# A correct solution written differently from the reference: FlashAttention-1's loop order
# (outer loop over key blocks, inner over query blocks) with O, l, m kept for all N rows and
# O renormalised after every tile.
import numpy as np


def flash_attention(q, k, v, block_size=64, causal=False):
    N, d = q.shape
    O = np.zeros((N, v.shape[1]))
    l = np.zeros(N)
    m = np.full(N, -np.inf)
    scale = d ** -0.5
    for j in range(0, N, block_size):
        Kj, Vj = k[j:j + block_size], v[j:j + block_size]
        for i in range(0, N, block_size):
            if causal and j > i:
                continue  # aligned blocks: every query of block i precedes every key of block j
            rows = slice(i, i + block_size)
            S = (q[rows] @ Kj.T) * scale
            if causal:
                qi = np.arange(i, min(i + block_size, N))
                kj = np.arange(j, j + Kj.shape[0])
                S[qi[:, None] < kj[None, :]] = -np.inf
            m_tile = S.max(axis=1)  # finite: each row sees at least key j
            P = np.exp(S - m_tile[:, None])
            m_new = np.maximum(m[rows], m_tile)
            l_new = np.exp(m[rows] - m_new) * l[rows] + np.exp(m_tile - m_new) * P.sum(axis=1)
            O[rows] = ((np.exp(m[rows] - m_new) * l[rows])[:, None] * O[rows]
                       + np.exp(m_tile - m_new)[:, None] * (P @ Vj)) / l_new[:, None]
            m[rows], l[rows] = m_new, l_new
    return O
