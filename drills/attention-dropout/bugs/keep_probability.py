# expect-bug: p used as the keep probability (p is the probability of dropping a weight)
import numpy as np


def attention_with_dropout(q, k, v, p, rng, training=True):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    w = np.exp(s - s.max(-1, keepdims=True))
    w = w / w.sum(-1, keepdims=True)
    if training and p > 0:
        keep = rng.random(w.shape) < p
        w = w * keep / p
    return w @ v, w
