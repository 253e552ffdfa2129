# expect-bug: cache grown on the wrong axis (time is axis 2 of (B, H, t, dh))
import numpy as np


def attend_step(x_t, cache, w_q, w_k, w_v, w_o, n_heads):
    B, n, D = x_t.shape
    dh = D // n_heads
    q, k, v = [(x_t @ w).reshape(B, n, n_heads, dh).transpose(0, 2, 1, 3) for w in (w_q, w_k, w_v)]
    if cache is not None:
        k = np.concatenate([cache["k"], k])
        v = np.concatenate([cache["v"], v])
    S = k.shape[-2]
    s = np.einsum("bhqd,bhkd->bhqk", q, k) / np.sqrt(dh)
    s = np.where(np.tril(np.ones((n, S), dtype=bool), k=S - n), s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    p = p / p.sum(-1, keepdims=True)
    out = np.einsum("bhqk,bhkd->bqhd", p, v).reshape(B, n, D)
    return out @ w_o, {"k": k, "v": v}
