# expect-bug: the two score maps subtracted before the softmax (each map must be a softmax first)
import numpy as np


def differential_attention(q1, k1, q2, k2, v, lam):
    d = q1.shape[-1]
    s1 = q1 @ np.swapaxes(k1, -1, -2) / np.sqrt(d)
    s2 = q2 @ np.swapaxes(k2, -1, -2) / np.sqrt(d)
    s = s1 - lam * s2  # one "differential" score map, then a single softmax
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    return (w / w.sum(axis=-1, keepdims=True)) @ v
