# expect-bug: probabilities not softened (softmax of the raw logits; both must be divided by T)
import numpy as np


def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def distillation_loss(student_logits, teacher_logits, temperature):
    log_p_s = _log_softmax(np.asarray(student_logits, dtype=np.float64))
    log_p_t = _log_softmax(np.asarray(teacher_logits, dtype=np.float64))
    kl = np.sum(np.exp(log_p_t) * (log_p_t - log_p_s), axis=-1)
    return float(temperature ** 2 * np.mean(kl))
