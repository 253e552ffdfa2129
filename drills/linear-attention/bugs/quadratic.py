# expect-bug: quadratic implementation (an (N, N) matrix of scores built)
import numpy as np


def phi(x):
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


def linear_attention(q, k, v, causal=False):
    # Right values, but the (T, S) kernel matrix is formed: O(N^2) memory.
    w = phi(q) @ np.swapaxes(phi(k), -1, -2)
    if causal:
        w = np.tril(w)
    return (w @ v) / w.sum(axis=-1, keepdims=True)
