# expect-bug: context ignored (keys/values taken from x in cross-attention)
import numpy as np


def multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, mask=None, context=None):
    B, T, D = x.shape
    dh = D // n_heads
    q = (x @ w_q).reshape(B, T, n_heads, dh).transpose(0, 2, 1, 3)
    k = (x @ w_k).reshape(B, T, n_heads, dh).transpose(0, 2, 1, 3)
    v = (x @ w_v).reshape(B, T, n_heads, dh).transpose(0, 2, 1, 3)
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(dh)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    w = np.exp(scores)
    w = w / w.sum(axis=-1, keepdims=True)
    out = (w @ v).transpose(0, 2, 1, 3).reshape(B, T, D)
    return out @ w_o
