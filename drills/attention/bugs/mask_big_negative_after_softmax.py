# expect-bug: mask applied after the softmax without renormalising
import numpy as np


def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    scores -= scores.max(-1, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(-1, keepdims=True)
    if mask is not None:
        weights = weights + np.where(mask, 0.0, -1e9)
    return weights @ v, weights
