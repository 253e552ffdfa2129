# A correct solution written differently from the reference: einsum, a log-sum-exp softmax and a
# Bernoulli mask from rng.binomial, scaled by multiplying with 1 / (1 - p).
import numpy as np


def attention_with_dropout(q, k, v, p, rng, training=True):
    scores = np.einsum("...td,...sd->...ts", q, k) / np.sqrt(q.shape[-1])
    top = scores.max(axis=-1, keepdims=True)
    log_w = scores - top - np.log(np.exp(scores - top).sum(axis=-1, keepdims=True))
    weights = np.exp(log_w)
    if training and p > 0.0:
        keep = rng.binomial(1, 1.0 - p, size=weights.shape)
        weights = weights * keep * (1.0 / (1.0 - p))
    return np.einsum("...ts,...sd->...td", weights, v), weights
