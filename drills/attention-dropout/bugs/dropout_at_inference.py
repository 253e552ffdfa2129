# expect-bug: dropout applied at inference (training=False must be plain attention)
import numpy as np


def attention_with_dropout(q, k, v, p, rng, training=True):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    w = np.exp(s - s.max(-1, keepdims=True))
    w = w / w.sum(-1, keepdims=True)
    if p > 0:  # the training flag is never looked at
        w = np.where(rng.random(w.shape) < p, 0.0, w / (1 - p))
    return w @ v, w
