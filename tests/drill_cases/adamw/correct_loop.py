# A correct solution written entry by entry with plain Python floats, as a scalar optimizer would be.
import math

import numpy as np


def adamw_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    p_flat, g_flat = np.ravel(param), np.ravel(grad)
    m_flat, v_flat = np.ravel(m), np.ravel(v)
    new_p, new_m, new_v = [], [], []
    c1, c2 = 1.0 - beta1 ** t, 1.0 - beta2 ** t
    for p, g, mi, vi in zip(p_flat.tolist(), g_flat.tolist(), m_flat.tolist(), v_flat.tolist()):
        mi = beta1 * mi + (1.0 - beta1) * g
        vi = beta2 * vi + (1.0 - beta2) * g * g
        p = p * (1.0 - lr * weight_decay)
        p -= lr * (mi / c1) / (math.sqrt(vi / c2) + eps)
        new_p.append(p)
        new_m.append(mi)
        new_v.append(vi)
    shape = np.shape(param)
    return (np.array(new_p).reshape(shape), np.array(new_m).reshape(shape), np.array(new_v).reshape(shape))
