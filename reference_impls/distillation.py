"""Knowledge-distillation loss (Hinton, Vinyals and Dean, 2015, "Distilling the Knowledge in a
Neural Network", section 2): the student matches the teacher's temperature-softened distribution.

    p_t = softmax(z_t / T),   p_s = softmax(z_s / T)                        (eq. 1, both softened)
    L   = T^2 * KL(p_t || p_s) = T^2 * sum_i p_t,i (log p_t,i - log p_s,i)

averaged over every leading position (each row of logits is one distribution over V classes).
The gradient of KL(p_t || p_s) with respect to z_s is (p_s - p_t) / T, and the differences
themselves shrink like 1/T: the soft term's gradients scale as 1/T^2, and multiplying by T^2
keeps their size roughly independent of T (section 2). As T -> inf, T^2 * KL tends to
(1 / 2V) * ||(z_t - mean z_t) - (z_s - mean z_s)||^2: distillation becomes logit matching
(section 2.1).

Dimension legend: see reference_impls/README.md (V vocabulary / classes).
"""
from __future__ import annotations

import numpy as np


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    # z - logsumexp(z), never log(softmax(z)): exp overflows past ~709 in float64, and a
    # probability that rounds to 0 would give log 0 = -inf, then 0 * -inf = NaN in the KL.
    m = np.max(z, axis=axis, keepdims=True)
    return z - (m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True)))


def distillation_loss(student_logits, teacher_logits, temperature) -> float:
    """student_logits, teacher_logits (..., V), temperature T > 0 -> T^2 * mean KL(p_t || p_s) (a float)."""
    T = float(temperature)
    log_p_t = log_softmax(np.asarray(teacher_logits, dtype=np.float64) / T)  # (..., V)
    log_p_s = log_softmax(np.asarray(student_logits, dtype=np.float64) / T)  # (..., V)
    # p_t = exp(log p_t) is exactly 0 where it underflows, and then multiplies a finite number.
    kl = np.sum(np.exp(log_p_t) * (log_p_t - log_p_s), axis=-1)  # (...,): one KL per position
    return float(T * T * np.mean(kl))
