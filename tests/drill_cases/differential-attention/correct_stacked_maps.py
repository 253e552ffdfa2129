# A correct solution in the style of the paper's code: both halves stacked on one axis, one
# softmax over the keys for the (..., 2, T, S) scores, then the two maps combined.
import numpy as np


def differential_attention(q1, k1, q2, k2, v, lam):
    scaling = q1.shape[-1] ** -0.5
    q = np.stack([q1, q2], axis=-3) * scaling  # (..., 2, T, d)
    k = np.stack([k1, k2], axis=-3)  # (..., 2, S, d)
    attn_weights = np.einsum("...htd,...hsd->...hts", q, k)  # (..., 2, T, S)
    attn_weights = attn_weights - np.max(attn_weights, axis=-1, keepdims=True)
    attn_weights = np.exp(attn_weights)
    attn_weights /= np.sum(attn_weights, axis=-1, keepdims=True)
    diff = attn_weights[..., 0, :, :] - lam * attn_weights[..., 1, :, :]  # (..., T, S)
    return np.einsum("...ts,...se->...te", diff, v)
