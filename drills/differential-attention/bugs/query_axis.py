# expect-bug: softmax over the query axis instead of the key axis
import numpy as np


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def differential_attention(q1, k1, q2, k2, v, lam):
    scale = 1.0 / np.sqrt(q1.shape[-1])
    a1 = softmax(q1 @ np.swapaxes(k1, -1, -2) * scale, axis=-2)
    a2 = softmax(q2 @ np.swapaxes(k2, -1, -2) * scale, axis=-2)
    return (a1 - lam * a2) @ v
