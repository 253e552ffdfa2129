# expect-bug: log(softmax) underflow: a tiny probability rounds to 0 and log(0) = -inf (use z - logsumexp(z))
import numpy as np


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy(logits, targets, ignore_index=-100):
    mask = targets != ignore_index
    p = softmax(logits)[mask]  # (N_kept, V)
    return float(-np.log(p[np.arange(len(p)), targets[mask]]).mean())


def perplexity(logits, targets, ignore_index=-100):
    return float(np.exp(cross_entropy(logits, targets, ignore_index)))
