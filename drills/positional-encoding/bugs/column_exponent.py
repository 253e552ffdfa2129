# expect-bug: each column its own frequency (cos columns use exponent (2i+1)/d)
import numpy as np


def sinusoidal_encoding(seq_len, d_model, base=10000.0):
    pos = np.arange(seq_len)[:, None]
    col = np.arange(d_model)[None, :]
    angles = pos / np.power(base, col / d_model)
    pe = angles.copy()
    pe[:, 0::2] = np.sin(angles[:, 0::2])
    pe[:, 1::2] = np.cos(angles[:, 1::2])
    return pe
