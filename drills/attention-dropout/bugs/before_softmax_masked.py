# expect-bug: dropout before the softmax (it belongs on the weights after the softmax)
import numpy as np


def attention_with_dropout(q, k, v, p, rng, training=True):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if training and p > 0:
        s = np.where(rng.random(s.shape) < p, -np.inf, s)  # "drop" a key by masking its score
    w = np.exp(s - s.max(-1, keepdims=True))
    w = w / w.sum(-1, keepdims=True)
    return w @ v, w
