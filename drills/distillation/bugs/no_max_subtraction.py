# expect-bug: softmax without max-subtraction: exp of logits ~1000 overflows (use a stable log-softmax)
import numpy as np


def distillation_loss(student_logits, teacher_logits, temperature):
    T = temperature
    s = np.asarray(student_logits, dtype=np.float64) / T
    t = np.asarray(teacher_logits, dtype=np.float64) / T
    log_p_s = s - np.log(np.sum(np.exp(s), axis=-1, keepdims=True))
    log_p_t = t - np.log(np.sum(np.exp(t), axis=-1, keepdims=True))
    kl = np.sum(np.exp(log_p_t) * (log_p_t - log_p_s), axis=-1)
    return float(T * T * kl.mean())
