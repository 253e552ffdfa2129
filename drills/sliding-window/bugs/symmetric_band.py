# expect-bug: not causal (symmetric band |i - j| < window sees future keys)
import numpy as np


def sliding_window_mask(seq_len, window):
    pos = np.arange(seq_len)
    return np.abs(pos[:, None] - pos[None, :]) < window


def sliding_window_attention(q, k, v, window):
    d_k = q.shape[-1]
    scores = np.einsum("...id,...jd->...ij", q, k) / np.sqrt(d_k)
    scores[..., ~sliding_window_mask(q.shape[-2], window)] = -np.inf
    scores -= scores.max(axis=-1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(axis=-1, keepdims=True)
    return np.einsum("...ij,...jd->...id", p, v)
