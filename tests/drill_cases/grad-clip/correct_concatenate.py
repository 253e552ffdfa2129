# A correct solution that flattens everything into one vector to take the norm.
import numpy as np


def clip_grad_norm(grads, max_norm):
    flat = np.concatenate([np.ravel(g) for g in grads])
    total_norm = float(np.linalg.norm(flat))
    clip_coef = max_norm / (total_norm + 1e-6)
    clip_coef_clamped = min(clip_coef, 1.0)  # torch multiplies by the clamped coefficient every time
    return [g * clip_coef_clamped for g in grads], total_norm
