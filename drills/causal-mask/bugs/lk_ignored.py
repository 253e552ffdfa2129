# expect-bug: lk ignored (returned an lq x lq mask)
import numpy as np


def causal_mask(lq, lk=None):
    return np.tril(np.ones((lq, lq))).astype(bool)
