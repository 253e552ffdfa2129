# expect-bug: divides by D - 1 (ddof=1, the unbiased estimate): LayerNorm's variance and RMSNorm's mean square average over the D features
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


def rms_norm(x, weight, eps=1e-6):
    d = x.shape[-1]
    ms = np.sum(x * x, axis=-1, keepdims=True) / (d - 1)  # "unbiased" mean square
    return x / np.sqrt(ms + eps) * weight
