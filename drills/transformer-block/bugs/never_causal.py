# expect-bug: causal flag ignored
import math

import numpy as np


def pre_ln_block(x, p, n_heads, causal=True):
    B, T, D = x.shape
    dh = D // n_heads

    def ln(z, g, b):
        mu = z.mean(-1, keepdims=True)
        return (z - mu) / np.sqrt(((z - mu) ** 2).mean(-1, keepdims=True) + 1e-5) * g + b

    a = ln(x, p["ln1_g"], p["ln1_b"])
    q = (a @ p["w_q"]).reshape(B, T, n_heads, dh).transpose(0, 2, 1, 3)
    k = (a @ p["w_k"]).reshape(B, T, n_heads, dh).transpose(0, 2, 1, 3)
    v = (a @ p["w_v"]).reshape(B, T, n_heads, dh).transpose(0, 2, 1, 3)
    s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(dh)
    # (causal masking left for later)
    w = np.exp(s - s.max(-1, keepdims=True))
    w = w / w.sum(-1, keepdims=True)
    h = x + (w @ v).transpose(0, 2, 1, 3).reshape(B, T, D) @ p["w_o"]
    z = ln(h, p["ln2_g"], p["ln2_b"]) @ p["w_1"] + p["b_1"]
    g = 0.5 * z * (1 + np.vectorize(math.erf)(z / np.sqrt(2)))
    return h + g @ p["w_2"] + p["b_2"]
