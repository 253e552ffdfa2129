# expect-bug: `k.T` on batched input (it reverses every axis; swap only the last two)
import numpy as np


def scaled_dot_product_attention(q, k, v, mask=None):
    scores = np.matmul(q, k.T) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -1e9)
    m = np.max(scores, axis=-1, keepdims=True)
    e = np.exp(scores - m)
    weights = e / np.sum(e, axis=-1, keepdims=True)
    return np.matmul(weights, v), weights
