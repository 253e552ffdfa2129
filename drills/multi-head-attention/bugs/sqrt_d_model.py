# expect-bug: scores scaled by sqrt(d_model) instead of sqrt(dh)
import numpy as np


def multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, mask=None, context=None):
    B, T, D = x.shape
    kv = x if context is None else context
    dh = D // n_heads

    def heads(a):
        return a.reshape(a.shape[0], a.shape[1], n_heads, dh).transpose(0, 2, 1, 3)

    q, k, v = heads(x @ w_q), heads(kv @ w_k), heads(kv @ w_v)
    scores = q @ k.swapaxes(-1, -2) / np.sqrt(D)
    if mask is not None:
        scores = np.where(mask, scores, -1e30)
    scores -= scores.max(-1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(-1, keepdims=True)
    out = (p @ v).transpose(0, 2, 1, 3).reshape(B, T, D)
    return out @ w_o
