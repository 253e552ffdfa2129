# expect-bug: exponent 4i/d instead of 2i/d (the even column index 2i doubled again)
import math

import numpy as np


def sinusoidal_encoding(seq_len, d_model, base=10000.0):
    pe = np.zeros((seq_len, d_model))
    for pos in range(seq_len):
        for i in range(0, d_model, 2):  # i is already the even column index
            angle = pos / (base ** ((2 * i) / d_model))
            pe[pos, i] = math.sin(angle)
            if i + 1 < d_model:
                pe[pos, i + 1] = math.cos(angle)
    return pe
