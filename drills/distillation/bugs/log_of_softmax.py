# expect-bug: log(softmax(...)): a probability that rounds to 0 gives log 0 = -inf and 0 * -inf = NaN (use z - logsumexp(z))
import numpy as np


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def distillation_loss(student_logits, teacher_logits, temperature):
    T = temperature
    p_s = _softmax(np.asarray(student_logits, dtype=np.float64) / T)
    p_t = _softmax(np.asarray(teacher_logits, dtype=np.float64) / T)
    kl = np.sum(p_t * (np.log(p_t) - np.log(p_s)), axis=-1)
    return float(T * T * kl.mean())
