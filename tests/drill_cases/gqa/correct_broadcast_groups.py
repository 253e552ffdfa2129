# A correct solution written differently from the reference: no copy of k/v, a group axis
# that broadcasts against a singleton axis of k and v, and a log-sum-exp softmax.
import numpy as np


def grouped_query_attention(q, k, v, mask=None):
    B, Hq, T, d = q.shape
    Hkv, S = k.shape[1], k.shape[2]
    G = Hq // Hkv
    qg = q.reshape(B, Hkv, G, T, d)  # heads j*G .. j*G+G-1 share kv head j
    scores = qg @ k[:, :, None].swapaxes(-1, -2) / np.sqrt(d)  # (B, Hkv, G, T, S)
    if mask is not None:
        m = np.broadcast_to(mask, (B, Hq, T, S)).reshape(B, Hkv, G, T, S)
        scores = np.where(m, scores, -np.inf)
    mx = scores.max(-1, keepdims=True)
    lse = mx + np.log(np.exp(scores - mx).sum(-1, keepdims=True))
    out = np.exp(scores - lse) @ v[:, :, None]  # (B, Hkv, G, T, dv)
    return out.reshape(B, Hq, T, v.shape[-1])
