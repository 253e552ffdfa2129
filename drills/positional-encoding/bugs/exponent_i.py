# expect-bug: exponent i/d instead of 2i/d
import numpy as np


def sinusoidal_encoding(seq_len, d_model, base=10000.0):
    pe = np.zeros((seq_len, d_model))
    for pos in range(seq_len):
        for i in range((d_model + 1) // 2):
            angle = pos / base ** (i / d_model)
            pe[pos, 2 * i] = np.sin(angle)
            if 2 * i + 1 < d_model:
                pe[pos, 2 * i + 1] = np.cos(angle)
    return pe
