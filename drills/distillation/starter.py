"""Drill: knowledge-distillation loss with a temperature (NumPy).

Implement `distillation_loss`. Run `tfprep drill distillation` to grade this file.
"""
import numpy as np


def distillation_loss(student_logits, teacher_logits, temperature):
    """T^2 * KL(softmax(teacher / T) || softmax(student / T)), averaged over positions.

    Args:
        student_logits: (..., V) the student's unnormalised scores over V classes; any leading
            axes (batch, sequence) are positions; a single row (V,) is one position.
            Can be ~1000 in magnitude.
        teacher_logits: the teacher's logits, same shape as student_logits.
        temperature: T > 0; both sets of logits are divided by it before the softmax.

    Returns:
        a float: T * T times the mean, over every leading position, of
        sum_i p_t[i] * (log p_t[i] - log p_s[i]).
    """
    raise NotImplementedError
