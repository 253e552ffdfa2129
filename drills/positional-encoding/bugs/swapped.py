# expect-bug: sin and cos swapped (sin goes on the even columns)
import numpy as np


def sinusoidal_encoding(seq_len, d_model, base=10000.0):
    position = np.arange(seq_len, dtype=np.float64)[:, None]
    div_term = np.exp(np.arange(0, d_model, 2) * (-np.log(base) / d_model))
    pe = np.zeros((seq_len, d_model))
    pe[:, 0::2] = np.cos(position * div_term)
    pe[:, 1::2] = np.sin(position * div_term[: d_model // 2])
    return pe
