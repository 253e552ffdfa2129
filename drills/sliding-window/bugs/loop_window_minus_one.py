# expect-bug: window off by one (one key too few: the query sees window - 1 keys)
import numpy as np


def sliding_window_mask(seq_len, window):
    mask = np.zeros((seq_len, seq_len), dtype=bool)
    for i in range(seq_len):
        # start after i - window + 1 ... one too late
        mask[i, max(0, i - window + 2):i + 1] = True
    return mask


def sliding_window_attention(q, k, v, window):
    mask = sliding_window_mask(q.shape[-2], window)
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    s = np.where(mask, s, -np.inf)
    m = s.max(-1, keepdims=True)
    e = np.exp(s - m)
    return (e / e.sum(-1, keepdims=True)) @ v
