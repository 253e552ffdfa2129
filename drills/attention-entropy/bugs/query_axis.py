# expect-bug: entropy over the wrong axis (sum over the keys, the last axis: one value per query)
import numpy as np


def attention_entropy(weights):
    w = np.asarray(weights, dtype=np.float64)
    terms = np.where(w > 0, w * np.log(np.clip(w, 1e-300, None)), 0.0)
    return -terms.sum(axis=-2)  # "the entropy of each key column"
