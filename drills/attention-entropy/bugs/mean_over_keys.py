# expect-bug: mean over the keys instead of the sum
import numpy as np


def attention_entropy(weights):
    w = np.asarray(weights, dtype=np.float64)
    safe = np.where(w == 0, 1.0, w)
    return -np.mean(w * np.log(safe), axis=-1)
