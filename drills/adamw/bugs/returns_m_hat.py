# expect-bug: bias-corrected m_hat, v_hat returned as the state (return the raw m and v)
import numpy as np


def adamw_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    m = (beta1 * m + (1 - beta1) * grad) / (1 - beta1 ** t)
    v = (beta2 * v + (1 - beta2) * grad ** 2) / (1 - beta2 ** t)
    param = param - lr * (m / (np.sqrt(v) + eps) + weight_decay * param)
    return param, m, v
