# expect-bug: 1e-6 missing from the denominator (clip_coef = max_norm / (total_norm + 1e-6))
import numpy as np


def clip_grad_norm(grads, max_norm):
    total_norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
    if total_norm > max_norm:
        scale = max_norm / total_norm
        grads = [g * scale for g in grads]
    return grads, total_norm
