# A correct solution written differently from the reference: heads in a Python loop, an
# additive -inf mask, and erf from Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, ample here).
import numpy as np


def erf(z):
    s = np.sign(z)
    a = np.abs(z)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return s * (1.0 - poly * np.exp(-a * a))


def norm(x, g, b):
    mean = np.mean(x, axis=-1, keepdims=True)
    var = np.mean(np.square(x - mean), axis=-1, keepdims=True)
    return g * (x - mean) / np.sqrt(var + 1e-5) + b


def pre_ln_block(x, p, n_heads, causal=True):
    B, T, D = x.shape
    dh = D // n_heads
    a = norm(x, p["ln1_g"], p["ln1_b"])
    q, k, v = a @ p["w_q"], a @ p["w_k"], a @ p["w_v"]
    bias = np.triu(np.full((T, T), -np.inf), k=1) if causal else np.zeros((T, T))
    heads = []
    for h in range(n_heads):
        c = slice(h * dh, (h + 1) * dh)
        s = q[..., c] @ np.swapaxes(k[..., c], 1, 2) / np.sqrt(dh) + bias
        w = np.exp(s - s.max(axis=-1, keepdims=True))
        heads.append(w / w.sum(axis=-1, keepdims=True) @ v[..., c])
    x = x + np.concatenate(heads, axis=-1) @ p["w_o"]
    u = norm(x, p["ln2_g"], p["ln2_b"]) @ p["w_1"] + p["b_1"]
    return x + (0.5 * u * (1.0 + erf(u / np.sqrt(2.0)))) @ p["w_2"] + p["b_2"]
