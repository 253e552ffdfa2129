# expect-bug: log(softmax) overflow: exp of logits ~1000 is inf (subtract the max, i.e. log-sum-exp)
import numpy as np


def cross_entropy(logits, targets, ignore_index=-100):
    logits = logits.reshape(-1, logits.shape[-1])
    targets = targets.reshape(-1)
    losses = []
    for z, y in zip(logits, targets):
        if y == ignore_index:
            continue
        losses.append(np.log(np.sum(np.exp(z))) - z[y])
    return float(np.mean(losses))


def perplexity(logits, targets, ignore_index=-100):
    return float(np.exp(cross_entropy(logits, targets, ignore_index)))
