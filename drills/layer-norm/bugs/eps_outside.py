# expect-bug: eps added outside the sqrt: it must be sqrt(var + eps)
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    sigma = x.std(-1, keepdims=True)
    return (x - mu) / (sigma + eps) * gamma + beta


def rms_norm(x, weight, eps=1e-6):
    rms = np.sqrt((x**2).mean(-1, keepdims=True))
    return x / (rms + eps) * weight
