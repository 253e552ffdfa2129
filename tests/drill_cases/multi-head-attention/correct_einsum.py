# A correct solution written differently from the reference: one einsum per step, heads as an axis.
import numpy as np


def multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, mask=None, context=None):
    c = x if context is None else context
    D = x.shape[-1]
    dh = D // n_heads
    q = np.einsum("btd,dhe->bhte", x, w_q.reshape(D, n_heads, dh))
    k = np.einsum("bsd,dhe->bhse", c, w_k.reshape(D, n_heads, dh))
    v = np.einsum("bsd,dhe->bhse", c, w_v.reshape(D, n_heads, dh))
    scores = np.einsum("bhte,bhse->bhts", q, k) * dh ** -0.5
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    m = scores.max(-1, keepdims=True)
    p = np.exp(scores - m)
    p /= p.sum(-1, keepdims=True)
    o = np.einsum("bhts,bhse->bhte", p, v)
    return np.einsum("bhte,hed->btd", o, w_o.reshape(n_heads, dh, D))
