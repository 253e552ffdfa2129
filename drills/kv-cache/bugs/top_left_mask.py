# expect-bug: causal mask aligned top-left (new tokens must see the whole cache)
import numpy as np


def attend_step(x_t, cache, w_q, w_k, w_v, w_o, n_heads):
    B, n, D = x_t.shape
    dh = D // n_heads
    q, k, v = [(x_t @ w).reshape(B, n, n_heads, dh).transpose(0, 2, 1, 3) for w in (w_q, w_k, w_v)]
    if cache is not None:
        k = np.concatenate([cache["k"], k], axis=2)
        v = np.concatenate([cache["v"], v], axis=2)
    S = k.shape[2]
    s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(dh)
    s = np.where(np.tril(np.ones((n, S), dtype=bool)), s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    return (p @ v).transpose(0, 2, 1, 3).reshape(B, n, D) @ w_o, {"k": k, "v": v}
