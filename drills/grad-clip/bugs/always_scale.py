# expect-bug: always scaling: gradients whose total norm is already below max_norm were scaled too
import numpy as np


def clip_grad_norm(grads, max_norm):
    total_norm = np.sqrt(sum(np.sum(g * g) for g in grads))
    clip_coef = max_norm / (total_norm + 1e-6)
    return [g * clip_coef for g in grads], float(total_norm)
