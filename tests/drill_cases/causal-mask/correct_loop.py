# A correct solution written differently from the reference: an explicit loop over queries.
import numpy as np


def causal_mask(lq, lk=None):
    if lk is None:
        lk = lq
    mask = np.zeros((lq, lk), dtype=bool)
    for i in range(lq):
        last = i + lk - lq  # absolute position of query i, counted in keys
        if last >= 0:
            mask[i, : min(last + 1, lk)] = True
    return mask
