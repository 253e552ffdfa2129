# expect-bug: bias correction with t + 1 (t already starts at 1)
import numpy as np


def adamw_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    step = t + 1  # "steps are counted from 0"
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1 ** step)
    v_hat = v / (1 - beta2 ** step)
    param = param - lr * weight_decay * param
    param = param - lr * m_hat / (np.sqrt(v_hat) + eps)
    return param, m, v
