# expect-bug: post-LN order (LayerNorm applied after the residual add)
import math

import numpy as np

_erf = np.vectorize(math.erf)


def layer_norm(x, g, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def mha(x, p, n_heads, causal):
    B, T, D = x.shape
    dh = D // n_heads
    q, k, v = [(x @ p[w]).reshape(B, T, n_heads, dh).transpose(0, 2, 1, 3) for w in ("w_q", "w_k", "w_v")]
    s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(dh)
    if causal:
        s = np.where(np.tril(np.ones((T, T), bool)), s, -np.inf)
    a = np.exp(s - s.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    return (a @ v).transpose(0, 2, 1, 3).reshape(B, T, D) @ p["w_o"]


def pre_ln_block(x, p, n_heads, causal=True):
    # "Attention Is All You Need": LayerNorm(x + Sublayer(x))
    h = layer_norm(x + mha(x, p, n_heads, causal), p["ln1_g"], p["ln1_b"])
    z = h @ p["w_1"] + p["b_1"]
    ff = (0.5 * z * (1 + _erf(z / math.sqrt(2)))) @ p["w_2"] + p["b_2"]
    return layer_norm(h + ff, p["ln2_g"], p["ln2_b"])
