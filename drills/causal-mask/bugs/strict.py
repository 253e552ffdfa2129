# expect-bug: strict < in the mask (diagonal hidden)
import numpy as np


def causal_mask(lq, lk=None):
    if lk is None:
        lk = lq
    i = np.arange(lq)[:, None]
    j = np.arange(lk)[None, :]
    return j < i + (lk - lq)
