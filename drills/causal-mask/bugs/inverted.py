# expect-bug: mask inverted (True must mean 'may attend')
import numpy as np


def causal_mask(lq, lk=None):
    # mark the future positions to hide
    if lk is None:
        lk = lq
    return np.triu(np.ones((lq, lk), dtype=bool), k=lk - lq + 1)
