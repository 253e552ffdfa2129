# expect-bug: epsilon added to the normaliser (the statement says none)
import numpy as np


def linear_attention(q, k, v, causal=False, eps=1e-6):
    # fast-transformers style: Z = 1 / (phi(q) . sum phi(k) + eps)
    Q = np.where(q > 0, q + 1, np.exp(np.minimum(q, 0)))
    K = np.where(k > 0, k + 1, np.exp(np.minimum(k, 0)))
    if causal:
        KV = np.cumsum(np.einsum("...sd,...se->...sde", K, v), axis=-3)
        Z = 1.0 / (np.einsum("...ld,...ld->...l", Q, np.cumsum(K, axis=-2)) + eps)
        return np.einsum("...ld,...lde,...l->...le", Q, KV, Z)
    KV = np.einsum("...sd,...se->...de", K, v)
    Z = 1.0 / (np.einsum("...ld,...d->...l", Q, K.sum(axis=-2)) + eps)
    return np.einsum("...ld,...de,...l->...le", Q, KV, Z)
