# expect-bug: missing 1/sqrt(d) scaling
import numpy as np


def attn_map(q, k):
    s = np.einsum("...td,...sd->...ts", q, k)
    s = s - s.max(-1, keepdims=True)
    p = np.exp(s)
    return p / p.sum(-1, keepdims=True)


def differential_attention(q1, k1, q2, k2, v, lam):
    return np.einsum("...ts,...se->...te", attn_map(q1, k1) - lam * attn_map(q2, k2), v)
