# A correct solution with NumPy masked arrays: np.ma.log masks the zeros, filled(0) drops them.
import numpy as np


def attention_entropy(weights):
    w = np.asarray(weights)
    log_w = np.ma.log(w).filled(0.0)
    return -np.sum(w * log_w, axis=-1)
