# expect-bug: heads merged by reshape (B,H,T,dh)->(B,T,d_model) without transposing back
import numpy as np


def multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, mask=None, context=None):
    B, T, D = x.shape
    dh = D // n_heads
    c = x if context is None else context

    def split(a):
        return a.reshape(a.shape[0], a.shape[1], n_heads, dh).transpose(0, 2, 1, 3)

    q, k, v = split(x @ w_q), split(c @ w_k), split(c @ w_v)
    s = q @ k.swapaxes(-1, -2) / np.sqrt(dh)
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    heads = p @ v                      # (B, H, T, dh)
    return heads.reshape(B, T, D) @ w_o
