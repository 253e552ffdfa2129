# A correct solution that applies each map to v separately: A1 v - lam A2 v = (A1 - lam A2) v.
import numpy as np


def attention(q, k, v):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    scores -= scores.max(axis=-1, keepdims=True)
    w = np.exp(scores)
    w /= w.sum(axis=-1, keepdims=True)
    return w @ v


def differential_attention(q1, k1, q2, k2, v, lam):
    return attention(q1, k1, v) - lam * attention(q2, k2, v)
