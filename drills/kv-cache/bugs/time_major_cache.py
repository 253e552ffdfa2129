# expect-bug: cache grown on the wrong axis (time is axis 2 of (B, H, t, dh))
import numpy as np


def attend_step(x_t, cache, w_q, w_k, w_v, w_o, n_heads):
    B, n, D = x_t.shape
    dh = D // n_heads
    # keep the cache as (B, t, H, dh): appending is then along axis 1
    k = (x_t @ w_k).reshape(B, n, n_heads, dh)
    v = (x_t @ w_v).reshape(B, n, n_heads, dh)
    if cache is not None:
        k = np.concatenate([cache["k"], k], axis=1)
        v = np.concatenate([cache["v"], v], axis=1)
    S = k.shape[1]
    q = (x_t @ w_q).reshape(B, n, n_heads, dh).transpose(0, 2, 1, 3)
    kh, vh = k.transpose(0, 2, 1, 3), v.transpose(0, 2, 1, 3)
    s = q @ kh.transpose(0, 1, 3, 2) / np.sqrt(dh)
    s = np.where(np.tril(np.ones((n, S), dtype=bool), k=S - n), s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    out = (p @ vh).transpose(0, 2, 1, 3).reshape(B, n, D)
    return out @ w_o, {"k": k, "v": v}
