# expect-bug: cache not appended (the returned cache must hold every token so far)
import numpy as np


def attend_step(x_t, cache, w_q, w_k, w_v, w_o, n_heads):
    B, n, D = x_t.shape
    dh = D // n_heads
    split = lambda a: a.reshape(B, n, n_heads, dh).transpose(0, 2, 1, 3)  # noqa: E731
    q, k, v = split(x_t @ w_q), split(x_t @ w_k), split(x_t @ w_v)
    keys, values = k, v
    if cache is not None:
        keys = np.concatenate([cache["k"], k], axis=2)
        values = np.concatenate([cache["v"], v], axis=2)
    S = keys.shape[2]
    s = q @ keys.transpose(0, 1, 3, 2) / np.sqrt(dh)
    s = np.where(np.tril(np.ones((n, S), bool), S - n), s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    out = (p @ values).transpose(0, 2, 1, 3).reshape(B, n, D) @ w_o
    return out, {"k": k, "v": v}
