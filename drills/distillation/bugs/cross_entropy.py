# expect-bug: cross-entropy instead of KL (the teacher's entropy is not subtracted)
import numpy as np


def distillation_loss(student_logits, teacher_logits, temperature):
    T = temperature
    s = np.asarray(student_logits, dtype=np.float64) / T
    t = np.asarray(teacher_logits, dtype=np.float64) / T
    log_p_s = s - s.max(-1, keepdims=True)
    log_p_s = log_p_s - np.log(np.exp(log_p_s).sum(-1, keepdims=True))
    p_t = np.exp(t - t.max(-1, keepdims=True))
    p_t = p_t / p_t.sum(-1, keepdims=True)
    # soft-target cross-entropy
    return float(T * T * np.mean(-(p_t * log_p_s).sum(-1)))
