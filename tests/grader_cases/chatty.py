# Prints a few megabytes in every call but is otherwise correct: still a failure.
import numpy as np


def scaled_dot_product_attention(q, k, v, mask=None):
    print("debug " * 400_000)
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    w = np.exp(s - s.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    return w @ v, w
