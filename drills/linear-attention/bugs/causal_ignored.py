# expect-bug: causal=True ignored (every key visible)
import numpy as np


def linear_attention(q, k, v, causal=False):
    fq = np.where(q > 0, q + 1.0, np.exp(np.minimum(q, 0.0)))
    fk = np.where(k > 0, k + 1.0, np.exp(np.minimum(k, 0.0)))
    # the running sums were never written: causal falls through to the full sums
    state = np.swapaxes(fk, -1, -2) @ v
    norm = fq @ fk.sum(axis=-2)[..., None]
    return (fq @ state) / norm
