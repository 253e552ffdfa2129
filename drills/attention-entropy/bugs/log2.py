# expect-bug: log base 2 (bits) instead of the natural log (nats)
import numpy as np


def attention_entropy(weights):
    w = np.asarray(weights, dtype=np.float64)
    logs = np.log2(np.where(w > 0, w, 1.0))
    return -(w * logs).sum(axis=-1)
