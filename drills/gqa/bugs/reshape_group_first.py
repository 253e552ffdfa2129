# expect-bug: interleaved grouping (kv head h % Hkv) instead of consecutive (h // (Hq // Hkv))
import numpy as np


def grouped_query_attention(q, k, v, mask=None):
    B, Hq, T, d = q.shape
    Hkv, S = k.shape[1], k.shape[2]
    G = Hq // Hkv
    # group axis placed before the kv-head axis: head h = g * Hkv + j reads kv head j
    qg = q.reshape(B, G, Hkv, T, d)
    scores = np.einsum("bgjtd,bjsd->bgjts", qg, k) / np.sqrt(d)
    if mask is not None:
        m = np.broadcast_to(mask, (B, Hq, T, S)).reshape(B, G, Hkv, T, S)
        scores = np.where(m, scores, -np.inf)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    out = np.einsum("bgjts,bjse->bgjte", w, v)
    return out.reshape(B, Hq, T, v.shape[-1])
