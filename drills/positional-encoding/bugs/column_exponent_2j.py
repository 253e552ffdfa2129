# expect-bug: each column its own frequency with exponent 2j/d for column j (sin 4i/d, cos (4i+2)/d)
import math

import numpy as np


def sinusoidal_encoding(seq_len, d_model, base=10000.0):
    pe = np.zeros((seq_len, d_model))
    for pos in range(seq_len):
        for i in range(0, d_model, 2):
            pe[pos, i] = math.sin(pos / (base ** ((2 * i) / d_model)))
            if i + 1 < d_model:
                pe[pos, i + 1] = math.cos(pos / (base ** ((2 * (i + 1)) / d_model)))
    return pe
