# expect-bug: cache grown on the wrong axis (time is axis 2 of (B, H, t, dh))
import numpy as np


def attend_step(x_t, cache, w_q, w_k, w_v, w_o, n_heads):
    B, n, D = x_t.shape
    dh = D // n_heads
    q = (x_t @ w_q).reshape(B, n, n_heads, dh).transpose(0, 2, 1, 3)
    k = (x_t @ w_k).reshape(B, n, n_heads, dh).transpose(0, 2, 1, 3)
    v = (x_t @ w_v).reshape(B, n, n_heads, dh).transpose(0, 2, 1, 3)
    if cache is not None:
        k = np.concatenate([cache["k"], k], axis=1)
        v = np.concatenate([cache["v"], v], axis=1)
    S = k.shape[2]
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(dh)
    mask = np.tril(np.ones((n, S), dtype=bool), k=S - n)
    scores = np.where(mask, scores, -np.inf)
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    attn = scores / scores.sum(-1, keepdims=True)
    out = (attn @ v).transpose(0, 2, 1, 3).reshape(B, n, D) @ w_o
    return out, {"k": k, "v": v}
