# expect-bug: temperature multiplied instead of divided
import numpy as np


def softmax(x, axis=-1, temperature=1.0):
    logits = x * temperature
    logits = logits - np.max(logits, axis=axis, keepdims=True)
    p = np.exp(logits)
    return p / np.sum(p, axis=axis, keepdims=True)


def softmax_backward(grad_out, y, axis=-1):
    return y * (grad_out - np.sum(grad_out * y, axis=axis, keepdims=True))
