"""Drill: numerically stable softmax with temperature, and its backward pass (NumPy).

Implement `softmax` and `softmax_backward`. Run `tfprep drill softmax` to grade this file.
"""
import numpy as np


def softmax(x, axis=-1, temperature=1.0):
    """softmax(x / temperature) along `axis`.

    Args:
        x: array of logits, any shape.
        axis: the axis to normalise over (default: the last one).
        temperature: positive float; the logits are divided by it.

    Returns:
        Array of the same shape as x; entries in [0, 1], summing to 1 along `axis`.
    """
    raise NotImplementedError


def softmax_backward(grad_out, y, axis=-1):
    """Gradient of a loss with respect to the softmax's input.

    Args:
        grad_out: dL/dy, same shape as y.
        y: the softmax output y = softmax(z, axis) (temperature 1).
        axis: the axis the softmax normalised over.

    Returns:
        dL/dz, same shape as y.
    """
    raise NotImplementedError
