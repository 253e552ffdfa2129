# A correct solution in the style of torch.optim.AdamW's single-tensor loop: in-place updates
# (mul_, add_, addcdiv_ written with NumPy's out= arguments), step size folded with bias correction 1.
import numpy as np


def adamw_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    param *= 1 - lr * weight_decay          # p.mul_(1 - lr * wd)
    m *= beta1                              # exp_avg.lerp_(grad, 1 - beta1)
    m += (1 - beta1) * grad
    v *= beta2                              # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
    v += (1 - beta2) * grad * grad
    bias_correction1 = 1 - beta1 ** t
    bias_correction2 = 1 - beta2 ** t
    step_size = lr / bias_correction1
    denom = np.sqrt(v) / np.sqrt(bias_correction2) + eps
    param -= step_size * (m / denom)        # p.addcdiv_(exp_avg, denom, value=-step_size)
    return param, m, v
