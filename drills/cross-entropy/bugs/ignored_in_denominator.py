# expect-bug: ignored positions counted in the denominator (average over non-ignored targets only)
import numpy as np


def cross_entropy(logits, targets, ignore_index=-100):
    m = logits.max(-1, keepdims=True)
    log_p = logits - m - np.log(np.exp(logits - m).sum(-1, keepdims=True))
    mask = (targets != ignore_index).astype(log_p.dtype)
    nll = -np.take_along_axis(log_p, np.where(targets == ignore_index, 0, targets)[..., None], -1)[..., 0]
    return float((nll * mask).mean())


def perplexity(logits, targets, ignore_index=-100):
    return float(np.exp(cross_entropy(logits, targets, ignore_index)))
