# expect-bug: output projection w_o forgotten
import numpy as np


def multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, mask=None, context=None):
    if context is None:
        context = x
    B, T, D = x.shape
    dh = D // n_heads
    outs = []
    for h in range(n_heads):
        cols = slice(h * dh, (h + 1) * dh)
        q = x @ w_q[:, cols]
        k = context @ w_k[:, cols]
        v = context @ w_v[:, cols]
        s = q @ k.transpose(0, 2, 1) / np.sqrt(dh)
        if mask is not None:
            m = np.broadcast_to(mask, (B, n_heads) + s.shape[1:])[:, h]
            s = np.where(m, s, -np.inf)
        s = np.exp(s - s.max(-1, keepdims=True))
        outs.append((s / s.sum(-1, keepdims=True)) @ v)
    return np.concatenate(outs, axis=-1)
