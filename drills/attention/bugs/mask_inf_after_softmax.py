# expect-bug: mask applied after the softmax without renormalising
import numpy as np


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def scaled_dot_product_attention(q, k, v, mask=None):
    d_k = q.shape[-1]
    w = softmax(q @ np.swapaxes(k, -1, -2) / np.sqrt(d_k))
    if mask is not None:
        w = np.where(mask, w, -np.inf)  # hide the keys the query may not see
    return w @ v, w
