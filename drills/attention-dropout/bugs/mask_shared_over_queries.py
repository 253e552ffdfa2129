# expect-bug: one dropout mask shared across queries or keys (every weight needs its own draw)
import numpy as np


def attention_with_dropout(q, k, v, p, rng, training=True):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    w = np.exp(scores - scores.max(axis=-1, keepdims=True))
    w /= w.sum(axis=-1, keepdims=True)
    if training and p > 0:
        keep = rng.random(w.shape[:-2] + (1, w.shape[-1])) >= p  # one draw per key, reused by every query
        w = w * keep / (1 - p)
    return w @ v, w
