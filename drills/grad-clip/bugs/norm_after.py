# expect-bug: total_norm measured after clipping (return the norm from before)
import numpy as np


def _total(gs):
    return float(np.sqrt(sum(np.sum(np.square(g)) for g in gs)))


def clip_grad_norm(grads, max_norm):
    coef = max_norm / (_total(grads) + 1e-6)
    if coef < 1:
        grads = [g * coef for g in grads]
    return grads, _total(grads)
