# A correct solution in torch's style: per-tensor norms, the norm of those norms, in-place scaling.
import math

import numpy as np


def clip_grad_norm(grads, max_norm):
    norms = [np.linalg.norm(g.reshape(-1)) for g in grads]
    total_norm = math.sqrt(sum(float(n) ** 2 for n in norms))
    clip_coef = float(max_norm) / (total_norm + 1e-6)
    if clip_coef < 1:
        for g in grads:
            g *= clip_coef
    return grads, total_norm
