# expect-bug: summed over positions instead of averaged
import numpy as np


def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def distillation_loss(student_logits, teacher_logits, temperature):
    T = temperature
    log_p_s = _log_softmax(np.asarray(student_logits, dtype=np.float64) / T)
    log_p_t = _log_softmax(np.asarray(teacher_logits, dtype=np.float64) / T)
    return float(T * T * np.sum(np.exp(log_p_t) * (log_p_t - log_p_s)))
