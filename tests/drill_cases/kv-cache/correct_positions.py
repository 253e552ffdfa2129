# A correct solution written differently from the reference: einsum with a heads axis, the
# causal mask built from absolute positions, and a log-sum-exp softmax.
import numpy as np


def attend_step(x_t, cache, w_q, w_k, w_v, w_o, n_heads):
    B, n, D = x_t.shape
    dh = D // n_heads
    proj = lambda w: np.einsum("bnd,dhe->bhne", x_t, w.reshape(D, n_heads, dh))  # noqa: E731
    q, k, v = proj(w_q), proj(w_k), proj(w_v)
    t = 0 if cache is None else cache["k"].shape[2]
    if t:
        k = np.concatenate([cache["k"], k], axis=-2)
        v = np.concatenate([cache["v"], v], axis=-2)
    q_pos = t + np.arange(n)           # absolute positions of the new tokens
    k_pos = np.arange(t + n)
    scores = np.einsum("bhqe,bhke->bhqk", q, k) / np.sqrt(dh)
    scores = np.where(k_pos[None, :] <= q_pos[:, None], scores, -np.inf)
    m = scores.max(-1, keepdims=True)
    lse = m + np.log(np.exp(scores - m).sum(-1, keepdims=True))
    o = np.einsum("bhqk,bhke->bqhe", np.exp(scores - lse), v).reshape(B, n, D)
    return o @ w_o, {"k": k, "v": v}
