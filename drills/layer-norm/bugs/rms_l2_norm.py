# expect-bug: sum of squares instead of their mean (a norm, not an RMS): divide the sum by D
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


def rms_norm(x, weight, eps=1e-6):
    norm = np.sqrt(np.sum(x**2, axis=-1, keepdims=True) + eps)
    return x / norm * weight
