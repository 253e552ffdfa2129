# expect-bug: divides by D - 1 (ddof=1, the unbiased estimate): LayerNorm's variance and RMSNorm's mean square average over the D features
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    mu = np.mean(x, axis=-1, keepdims=True)
    std = np.sqrt(np.var(x, axis=-1, ddof=1, keepdims=True) + eps)
    return gamma * (x - mu) / std + beta


def rms_norm(x, weight, eps=1e-6):
    return weight * x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
