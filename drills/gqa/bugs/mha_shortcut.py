# expect-bug: MQA/MHA edge case broken (Hkv = 1 or Hkv = Hq)
import numpy as np


def _softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def grouped_query_attention(q, k, v, mask=None):
    Hq, Hkv = q.shape[1], k.shape[1]
    scale = 1.0 / np.sqrt(q.shape[-1])
    if Hq == Hkv:  # plain MHA: nothing to share (the mask got lost on this path)
        return _softmax(q @ k.swapaxes(-1, -2) * scale) @ v
    k = np.repeat(k, Hq // Hkv, axis=1)
    v = np.repeat(v, Hq // Hkv, axis=1)
    s = q @ k.swapaxes(-1, -2) * scale
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    return _softmax(s) @ v
