# expect-bug: no max-subtraction in the softmax (overflow)
import numpy as np


def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores)
    w = e / e.sum(-1, keepdims=True)
    return w @ v, w
