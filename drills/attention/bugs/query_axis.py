# expect-bug: softmax over the query axis instead of the key axis
import numpy as np


def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(-2, keepdims=True))
    w = e / e.sum(-2, keepdims=True)
    return w @ v, w
