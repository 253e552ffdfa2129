# expect-bug: cache not appended (the returned cache must hold every token so far)
import numpy as np


def _heads(a, h):
    B, T, D = a.shape
    return a.reshape(B, T, h, D // h).swapaxes(1, 2)


def attend_step(x_t, cache, w_q, w_k, w_v, w_o, n_heads):
    q = _heads(x_t @ w_q, n_heads)
    k = _heads(x_t @ w_k, n_heads)
    v = _heads(x_t @ w_v, n_heads)
    if cache is None:
        cache = {"k": k, "v": v}
        k_all, v_all = k, v
    else:
        k_all = np.concatenate((cache["k"], k), axis=2)
        v_all = np.concatenate((cache["v"], v), axis=2)
    n, S = q.shape[2], k_all.shape[2]
    scores = q @ k_all.swapaxes(-1, -2) / np.sqrt(q.shape[-1])
    allowed = np.arange(S)[None, :] <= np.arange(S - n, S)[:, None]
    scores = np.where(allowed, scores, -np.inf)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    out = (w @ v_all).swapaxes(1, 2).reshape(x_t.shape)
    return out @ w_o, cache
