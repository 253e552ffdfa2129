# expect-bug: tensor norms added: the total is sqrt(sum of squares), not sum of norms
import numpy as np


def clip_grad_norm(grads, max_norm):
    total_norm = sum(float(np.linalg.norm(g)) for g in grads)
    coef = max_norm / (total_norm + 1e-6)
    if coef < 1:
        return [g * coef for g in grads], total_norm
    return grads, total_norm
