# expect-bug: reshape (B,T,H,dh)->(B,H,T,dh) without a transpose (tokens and heads mixed)
import numpy as np


def softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def multi_head_attention(x, w_q, w_k, w_v, w_o, n_heads, mask=None, context=None):
    B, T, D = x.shape
    dh = D // n_heads
    src = x if context is None else context
    S = src.shape[1]
    q = (x @ w_q).reshape(B, n_heads, T, dh)
    k = (src @ w_k).reshape(B, n_heads, S, dh)
    v = (src @ w_v).reshape(B, n_heads, S, dh)
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(dh)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    out = softmax(scores) @ v
    return out.reshape(B, T, D) @ w_o
