# expect-bug: RMSNorm subtracts the mean (that is LayerNorm without beta)
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    centred = x - x.mean(axis=-1, keepdims=True)
    var = (centred**2).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(var + eps) * gamma + beta


def rms_norm(x, weight, eps=1e-6):
    centred = x - x.mean(axis=-1, keepdims=True)
    rms = np.sqrt((centred**2).mean(axis=-1, keepdims=True) + eps)
    return centred / rms * weight
