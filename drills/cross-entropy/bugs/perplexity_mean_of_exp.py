# expect-bug: perplexity as the mean of per-token exp(loss) instead of exp(mean loss)
import numpy as np


def _token_losses(logits, targets, ignore_index):
    keep = targets != ignore_index
    z = logits[keep]  # (N, V)
    m = z.max(axis=1, keepdims=True)
    lse = (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))[:, 0]
    return lse - z[np.arange(z.shape[0]), targets[keep]]


def cross_entropy(logits, targets, ignore_index=-100):
    return float(_token_losses(logits, targets, ignore_index).mean())


def perplexity(logits, targets, ignore_index=-100):
    return float(np.exp(_token_losses(logits, targets, ignore_index)).mean())
