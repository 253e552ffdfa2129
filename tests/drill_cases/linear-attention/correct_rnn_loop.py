# A correct solution written as the paper's RNN: one running (d, d_v) state, a loop over tokens.
import numpy as np


def feature_map(x):
    x = np.asarray(x, dtype=np.float64)
    out = x + 1.0
    neg = x <= 0
    out[neg] = np.exp(x[neg])
    return out


def linear_attention(q, k, v, causal=False):
    fq, fk, v = feature_map(q), feature_map(k), np.asarray(v, dtype=np.float64)
    batch = fq.shape[:-2]
    out = np.empty(batch + (fq.shape[-2], v.shape[-1]))
    if not causal:
        state = np.einsum("...sd,...se->...de", fk, v)
        norm = fk.sum(axis=-2)
        return np.einsum("...td,...de->...te", fq, state) / np.einsum("...td,...d->...t", fq, norm)[..., None]
    state = np.zeros(batch + (fq.shape[-1], v.shape[-1]))  # s_i
    norm = np.zeros(batch + (fq.shape[-1],))  # z_i
    for i in range(fq.shape[-2]):
        state += fk[..., i, :, None] * v[..., i, None, :]
        norm += fk[..., i, :]
        num = np.einsum("...d,...de->...e", fq[..., i, :], state)
        out[..., i, :] = num / np.sum(fq[..., i, :] * norm, axis=-1, keepdims=True)
    return out
