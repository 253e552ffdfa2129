# expect-bug: a residual connection missing
import math

import numpy as np


def _ln(x, g, b):
    x = x - x.mean(axis=-1, keepdims=True)
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + 1e-5) * g + b


def _gelu(z):
    return 0.5 * z * (1.0 + np.vectorize(math.erf)(z / math.sqrt(2.0)))


def pre_ln_block(x, p, n_heads, causal=True):
    B, T, D = x.shape
    dh = D // n_heads
    a = _ln(x, p["ln1_g"], p["ln1_b"])
    heads = lambda m: m.reshape(B, T, n_heads, dh).swapaxes(1, 2)  # noqa: E731
    q, k, v = heads(a @ p["w_q"]), heads(a @ p["w_k"]), heads(a @ p["w_v"])
    s = q @ k.swapaxes(-1, -2) / math.sqrt(dh)
    if causal:
        s = s + np.triu(np.full((T, T), -np.inf), 1)
    w = np.exp(s - s.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    h = x + (w @ v).swapaxes(1, 2).reshape(B, T, D) @ p["w_o"]
    m = _ln(h, p["ln2_g"], p["ln2_b"])
    return _gelu(m @ p["w_1"] + p["b_1"]) @ p["w_2"] + p["b_2"]
