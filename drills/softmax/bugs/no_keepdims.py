# expect-bug: max/sum without keepdims=True (normalised along the wrong axis)
import numpy as np


def softmax(x, axis=-1, temperature=1.0):
    x = x / temperature
    e = np.exp(x - np.max(x, axis=axis))
    return e / np.sum(e, axis=axis)


def softmax_backward(grad_out, y, axis=-1):
    return y * (grad_out - np.sum(grad_out * y, axis=axis, keepdims=True))
