# expect-bug: interleaved grouping (kv head h % Hkv) instead of consecutive (h // (Hq // Hkv))
import numpy as np


def grouped_query_attention(q, k, v, mask=None):
    n_rep = q.shape[1] // k.shape[1]
    k = np.tile(k, (1, n_rep, 1, 1))
    v = np.tile(v, (1, n_rep, 1, 1))
    scores = q @ k.swapaxes(-1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    return scores / scores.sum(-1, keepdims=True) @ v
