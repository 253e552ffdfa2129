# expect-bug: gamma and beta swapped: the output is normalised * gamma + beta
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    mu = np.mean(x, axis=-1, keepdims=True)
    xhat = (x - mu) / np.sqrt(np.mean((x - mu) ** 2, axis=-1, keepdims=True) + eps)
    return beta * xhat + gamma


def rms_norm(x, weight, eps=1e-6):
    return weight * x / np.sqrt(np.mean(x**2, axis=-1, keepdims=True) + eps)
