import numpy as np


def scaled_dot_product_attention(q, k, v, mask=None):
    shape = q.shape[:-1]
    return np.full(shape + (v.shape[-1],), np.nan), np.full(shape + (k.shape[-2],), np.nan)
