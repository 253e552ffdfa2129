# expect-bug: normalised over axis 0 instead of the last axis (the features)
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=0, keepdims=True)
    var = x.var(axis=0, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def rms_norm(x, weight, eps=1e-6):
    return x / np.sqrt(np.mean(x**2, axis=0, keepdims=True) + eps) * weight
