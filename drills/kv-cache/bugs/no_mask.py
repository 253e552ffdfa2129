# expect-bug: positions attend to the future (no causal mask inside a multi-token chunk)
import numpy as np


def attend_step(x_t, cache, w_q, w_k, w_v, w_o, n_heads):
    B, n, D = x_t.shape
    dh = D // n_heads

    def split(a):
        return a.reshape(B, n, n_heads, dh).transpose(0, 2, 1, 3)

    q, k, v = split(x_t @ w_q), split(x_t @ w_k), split(x_t @ w_v)
    if cache is not None:
        k = np.concatenate([cache["k"], k], axis=2)
        v = np.concatenate([cache["v"], v], axis=2)
    # decoding one token: the newest token may see everything, so no mask
    s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(dh)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    out = (p @ v).transpose(0, 2, 1, 3).reshape(B, n, D)
    return out @ w_o, {"k": k, "v": v}
