# expect-bug: top-left alignment (j <= i) instead of bottom-right (j <= i + lk - lq)
import numpy as np


def causal_mask(lq, lk=None):
    lk = lq if lk is None else lk
    return np.tril(np.ones((lq, lk), dtype=bool))
