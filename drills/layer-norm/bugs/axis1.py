# expect-bug: normalised over axis 1 instead of the last axis (the features)
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    # "axis 1 is the feature axis" holds for (tokens, D) but not for (batch, seq, D)
    ax = 1 if x.ndim > 1 else 0
    mu = x.mean(axis=ax, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=ax, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


def rms_norm(x, weight, eps=1e-6):
    return x / np.sqrt((x**2).mean(axis=-1, keepdims=True) + eps) * weight
