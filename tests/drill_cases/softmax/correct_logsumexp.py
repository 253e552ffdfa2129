# A correct solution written differently from the reference: log-sum-exp, moveaxis and einsum.
import numpy as np


def softmax(x, axis=-1, temperature=1.0):
    z = np.moveaxis(np.asarray(x, dtype=np.float64) / temperature, axis, -1)
    m = z.max(axis=-1, keepdims=True)
    log_z = m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
    return np.moveaxis(np.exp(z - log_z), -1, axis)


def softmax_backward(grad_out, y, axis=-1):
    g = np.moveaxis(np.asarray(grad_out, dtype=np.float64), axis, -1)
    p = np.moveaxis(np.asarray(y, dtype=np.float64), axis, -1)
    dot = np.einsum("...i,...i->...", g, p)[..., None]
    return np.moveaxis(p * g - p * dot, -1, axis)
