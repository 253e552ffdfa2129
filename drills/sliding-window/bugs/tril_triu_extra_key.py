# expect-bug: window off by one (one key too many: i - window <= j)
import numpy as np


def sliding_window_mask(seq_len, window):
    ones = np.ones((seq_len, seq_len), dtype=bool)
    # keep the diagonal and `window` diagonals below it
    return np.tril(ones) & np.triu(ones, -window)


def sliding_window_attention(q, k, v, window):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    scores = np.where(sliding_window_mask(q.shape[-2], window), scores, -np.inf)
    w = np.exp(scores - scores.max(axis=-1, keepdims=True))
    w /= w.sum(axis=-1, keepdims=True)
    return w @ v
