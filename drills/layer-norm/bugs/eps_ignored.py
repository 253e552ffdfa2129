# expect-bug: eps argument ignored: the function always uses its default eps
import numpy as np

EPS_LN, EPS_RMS = 1e-5, 1e-6


def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + EPS_LN) * gamma + beta


def rms_norm(x, weight, eps=1e-6):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + EPS_RMS) * weight
