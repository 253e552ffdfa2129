# expect-bug: MQA/MHA edge case broken (Hkv = 1 or Hkv = Hq)
import numpy as np


def grouped_query_attention(q, k, v, mask=None):
    B, n_q, T, d = q.shape
    n_kv = k.shape[1]
    outs = []
    for h in range(n_q):
        kv = h // n_kv  # fine for 4 query heads over 2 kv heads...
        s = q[:, h] @ k[:, kv].transpose(0, 2, 1) / np.sqrt(d)
        if mask is not None:
            m = np.broadcast_to(mask, (B, n_q) + s.shape[1:])[:, h]
            s = np.where(m, s, -np.inf)
        p = np.exp(s - s.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        outs.append(p @ v[:, kv])
    return np.stack(outs, axis=1)
