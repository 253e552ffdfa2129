# expect-bug: sin and cos blocks concatenated instead of interleaved
import numpy as np


def sinusoidal_encoding(seq_len, d_model, base=10000.0):
    pos = np.arange(seq_len)[:, None]
    div = base ** (np.arange(0, d_model, 2) / d_model)
    angles = pos / div
    pe = np.concatenate([np.sin(angles), np.cos(angles)], axis=-1)
    return pe[:, :d_model]
