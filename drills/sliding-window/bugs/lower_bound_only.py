# expect-bug: not causal (no j <= i bound: every later key is visible)
import numpy as np


def sliding_window_mask(seq_len, window):
    i = np.arange(seq_len)[:, None]
    j = np.arange(seq_len)[None, :]
    return j > i - window


def sliding_window_attention(q, k, v, window):
    T = q.shape[-2]
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    scores = np.where(sliding_window_mask(T, window), scores, -1e30)
    scores = scores - scores.max(-1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / weights.sum(-1, keepdims=True)
    return weights @ v
