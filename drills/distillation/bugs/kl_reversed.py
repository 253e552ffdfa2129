# expect-bug: KL reversed: KL(student || teacher) instead of KL(teacher || student) (or the arguments swapped)
import numpy as np


def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def distillation_loss(student_logits, teacher_logits, temperature):
    T = temperature
    log_q = _log_softmax(np.asarray(student_logits, dtype=np.float64) / T)
    log_p = _log_softmax(np.asarray(teacher_logits, dtype=np.float64) / T)
    # weighted by the student's probabilities: the mode-seeking direction
    kl = np.sum(np.exp(log_q) * (log_q - log_p), axis=-1)
    return float(T * T * kl.mean())
