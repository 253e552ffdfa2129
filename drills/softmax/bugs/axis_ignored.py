# expect-bug: softmax over the wrong axis
import numpy as np


def softmax(x, axis=-1, temperature=1.0):
    # `axis` is accepted but the reductions always run over the last axis.
    z = x / temperature
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def softmax_backward(grad_out, y, axis=-1):
    s = (grad_out * y).sum(axis=axis, keepdims=True)
    return y * grad_out - y * s
