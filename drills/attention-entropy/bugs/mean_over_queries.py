# expect-bug: averaged over the queries (one entropy per query is expected)
import numpy as np


def attention_entropy(weights):
    w = np.asarray(weights, dtype=np.float64)
    terms = np.where(w > 0, w * np.log(np.where(w > 0, w, 1.0)), 0.0)
    return float(-terms.sum(axis=-1).mean())  # the head's mean entropy
