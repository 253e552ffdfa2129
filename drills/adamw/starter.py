"""Drill: one step of the AdamW optimizer (Adam with decoupled weight decay), in NumPy.

Implement `adamw_step`. Run `tfprep drill adamw` to grade this file.
"""
import numpy as np


def adamw_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    """One AdamW update, as torch.optim.AdamW computes it.

    Args:
        param: the parameter array (any shape).
        grad: the gradient of the loss with respect to param (same shape; no decay term in it).
        m, v: first and second moment estimates from the previous step (same shape; zeros at t=1).
        t: the step number, starting at 1.
        lr, beta1, beta2, eps: Adam's hyperparameters (eps is added after the square root).
        weight_decay: decoupled decay: the parameter shrinks by lr * weight_decay * param.

    Returns:
        (param, m, v): the updated parameter and the raw (not bias-corrected) moments.
    """
    raise NotImplementedError
