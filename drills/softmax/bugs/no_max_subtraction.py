# expect-bug: no max-subtraction in the softmax (overflow)
import numpy as np


def softmax(x, axis=-1, temperature=1.0):
    e = np.exp(x / temperature)
    return e / e.sum(axis=axis, keepdims=True)


def softmax_backward(grad_out, y, axis=-1):
    return y * (grad_out - (grad_out * y).sum(axis=axis, keepdims=True))
