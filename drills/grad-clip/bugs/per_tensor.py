# expect-bug: per-tensor clipping: each tensor scaled by its own norm (one global norm over the whole list)
import numpy as np


def clip_grad_norm(grads, max_norm):
    clipped, total_sq = [], 0.0
    for g in grads:
        n = np.sqrt(np.sum(g ** 2))
        total_sq += n ** 2
        coef = max_norm / (n + 1e-6)
        clipped.append(g * coef if coef < 1 else g)
    return clipped, float(np.sqrt(total_sq))
