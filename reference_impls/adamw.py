"""One step of AdamW (Loshchilov & Hutter, 2019, "Decoupled Weight Decay Regularization",
Algorithm 2; the moment estimates are Adam's: Kingma & Ba, 2015, "Adam: A Method for
Stochastic Optimization", Algorithm 1).

At step t = 1, 2, ... with gradient g_t of the loss alone (no L2 term folded in):

    m_t     = beta1 * m_{t-1} + (1 - beta1) * g_t
    v_t     = beta2 * v_{t-1} + (1 - beta2) * g_t^2
    m_hat_t = m_t / (1 - beta1^t)                       bias correction: m_0 = v_0 = 0
    v_hat_t = v_t / (1 - beta2^t)
    theta_t = theta_{t-1} - lr * (m_hat_t / (sqrt(v_hat_t) + eps) + weight_decay * theta_{t-1})

The decay is decoupled: it shrinks the parameter directly, never passes through m and v, and is
scaled by the learning rate, as `torch.optim.AdamW` does (the paper's schedule multiplier eta_t
is folded into lr). The returned m and v are the raw (uncorrected) moments for the next step.
"""
from __future__ import annotations

import numpy as np


def adamw_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    """param, grad, m, v: arrays of one shape; t: the 1-based step count. Returns (param, m, v),
    new arrays; the inputs are left untouched."""
    m = beta1 * m + (1.0 - beta1) * grad  # first moment: EMA of the gradient
    v = beta2 * v + (1.0 - beta2) * grad * grad  # second moment: EMA of its square
    m_hat = m / (1.0 - beta1 ** t)  # both EMAs start at 0 and are biased towards it early on
    v_hat = v / (1.0 - beta2 ** t)
    # eps after the sqrt, as torch: it bounds the step where v_hat is ~0.
    step = m_hat / (np.sqrt(v_hat) + eps)
    # theta_{t-1} decays (not the stepped parameter): torch does `p.mul_(1 - lr * wd)` first.
    param = param - lr * weight_decay * param - lr * step
    return param, m, v
