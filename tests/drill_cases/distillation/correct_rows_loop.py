# A correct solution in plain Python loops over flattened positions, with math.log/math.exp.
import math

import numpy as np


def _log_softmax_row(row):
    m = max(row)
    lse = m + math.log(sum(math.exp(x - m) for x in row))
    return [x - lse for x in row]


def distillation_loss(student_logits, teacher_logits, temperature):
    s = np.asarray(student_logits, dtype=np.float64)
    t = np.asarray(teacher_logits, dtype=np.float64)
    V = s.shape[-1]
    s_rows, t_rows = s.reshape(-1, V) / temperature, t.reshape(-1, V) / temperature
    total = 0.0
    for s_row, t_row in zip(s_rows.tolist(), t_rows.tolist()):
        log_q = _log_softmax_row(s_row)
        log_p = _log_softmax_row(t_row)
        total += sum(math.exp(lp) * (lp - lq) for lp, lq in zip(log_p, log_q))
    return temperature ** 2 * total / len(s_rows)
