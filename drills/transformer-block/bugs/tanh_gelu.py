# expect-bug: GELU wrong (the exact erf form is required, not the tanh approximation)
import numpy as np


def layer_norm(x, g, b, eps=1e-5):
    return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps) * g + b


def gelu(z):
    return 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z ** 3)))


def attention(x, p, n_heads, causal):
    B, T, D = x.shape
    dh = D // n_heads
    q, k, v = (np.stack(np.split(x @ p[n], n_heads, axis=-1), axis=1) for n in ("w_q", "w_k", "w_v"))
    s = q @ k.swapaxes(-1, -2) / np.sqrt(dh)
    if causal:
        s = np.where(np.tril(np.ones((T, T), bool)), s, -np.inf)
    s = np.exp(s - s.max(-1, keepdims=True))
    o = (s / s.sum(-1, keepdims=True)) @ v
    return np.concatenate(list(o.transpose(1, 0, 2, 3)), axis=-1) @ p["w_o"]


def pre_ln_block(x, p, n_heads, causal=True):
    h = x + attention(layer_norm(x, p["ln1_g"], p["ln1_b"]), p, n_heads, causal)
    return h + gelu(layer_norm(h, p["ln2_g"], p["ln2_b"]) @ p["w_1"] + p["b_1"]) @ p["w_2"] + p["b_2"]
