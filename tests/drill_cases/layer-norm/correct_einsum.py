# A correct solution written differently from the reference: explicit sums over D and
# multiplication by the reciprocal square root (as fused kernels do).
import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    d = x.shape[-1]
    xc = x - np.sum(x, axis=-1, keepdims=True) / d
    rstd = 1.0 / np.sqrt(np.einsum("...d,...d->...", xc, xc)[..., None] / d + eps)
    return xc * rstd * gamma + beta


def rms_norm(x, weight, eps=1e-6):
    d = x.shape[-1]
    rstd = 1.0 / np.sqrt(np.einsum("...d,...d->...", x, x)[..., None] / d + eps)
    return (x * rstd) * weight
