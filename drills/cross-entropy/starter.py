"""Drill: cross-entropy loss and perplexity (NumPy).

Implement `cross_entropy` and `perplexity`. Run `tfprep drill cross-entropy` to grade this file.
"""
import numpy as np


def cross_entropy(logits, targets, ignore_index=-100):
    """Mean negative log-likelihood of the targets under softmax(logits), in nats.

    Args:
        logits: (..., V) unnormalised scores over V classes (can be ~1000 in magnitude).
        targets: int array (...), class ids in [0, V), or ignore_index for positions to skip.
        ignore_index: target value whose positions contribute nothing to the loss.

    Returns:
        a float: the average of -log softmax(logits)[target] over the non-ignored positions.
    """
    raise NotImplementedError


def perplexity(logits, targets, ignore_index=-100):
    """exp of the mean cross-entropy over the non-ignored positions.

    Args / shapes as in `cross_entropy`.

    Returns:
        a float.
    """
    raise NotImplementedError
