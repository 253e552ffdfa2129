# expect-bug: heads concatenated in the wrong order
import numpy as np


def multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, mask=None, context=None):
    context = x if context is None else context
    B, T, D = x.shape
    dh = D // n_heads
    heads = []
    for h in range(n_heads):
        cols = slice(h * dh, (h + 1) * dh)
        q, k, v = x @ w_q[:, cols], context @ w_k[:, cols], context @ w_v[:, cols]
        s = np.einsum("btd,bsd->bts", q, k) / np.sqrt(dh)
        if mask is not None:
            m = np.broadcast_to(mask, (B, n_heads, T, context.shape[1]))[:, h]
            s = np.where(m, s, -np.inf)
        w = np.exp(s - s.max(-1, keepdims=True))
        w /= w.sum(-1, keepdims=True)
        heads.insert(0, w @ v)  # prepends: last head ends up first
    return np.concatenate(heads, axis=-1) @ w_o
