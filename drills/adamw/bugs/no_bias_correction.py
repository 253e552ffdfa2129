# expect-bug: no bias correction (m and v must be divided by 1 - beta1**t and 1 - beta2**t)
import numpy as np


def adamw_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * np.square(grad)
    param = param * (1 - lr * weight_decay)
    param = param - lr * m / (np.sqrt(v) + eps)
    return param, m, v
