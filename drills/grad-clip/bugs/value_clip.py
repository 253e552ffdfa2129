# expect-bug: values clipped elementwise to [-max_norm, max_norm] (that is clip_grad_value_, not norm clipping)
import numpy as np


def clip_grad_norm(grads, max_norm):
    total_norm = float(np.sqrt(sum((g ** 2).sum() for g in grads)))
    return [np.clip(g, -max_norm, max_norm) for g in grads], total_norm
