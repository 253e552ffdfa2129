# expect-bug: k reshaped to (..., d_k, Lk) instead of transposed (keys and features mixed)
import numpy as np


def scaled_dot_product_attention(q, k, v, mask=None):
    *batch, Lk, d_k = k.shape
    k_t = k.reshape(*batch, d_k, Lk)  # "transpose" the last two axes
    scores = q @ k_t / np.sqrt(d_k)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    w = np.exp(scores)
    w = w / w.sum(axis=-1, keepdims=True)
    return w @ v, w
