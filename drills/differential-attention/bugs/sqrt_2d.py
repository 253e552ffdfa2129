# expect-bug: scaled by 1/sqrt(2d) (d is the width of one half: q1.shape[-1])
import numpy as np


def softmax(x):
    x = x - x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


def differential_attention(q1, k1, q2, k2, v, lam):
    # the head was 2d wide before the split, so scale by the full head width
    head_dim = q1.shape[-1] + q2.shape[-1]
    scaling = head_dim ** -0.5
    a1 = softmax(np.matmul(q1, np.swapaxes(k1, -1, -2)) * scaling)
    a2 = softmax(np.matmul(q2, np.swapaxes(k2, -1, -2)) * scaling)
    return np.matmul(a1 - lam * a2, v)
