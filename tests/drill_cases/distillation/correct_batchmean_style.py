# A correct solution in the style of torch training loops (Hugging Face distillation examples):
# kl_div(log_softmax(student / T), log_softmax(teacher / T), log_target=True, reduction="batchmean") * T^2,
# written out with NumPy, flattening every leading axis into the batch.
import numpy as np


def log_softmax(x, axis=-1):
    shifted = x - np.amax(x, axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def kl_div_log_target(input, target):
    """Pointwise exp(target) * (target - input), as torch's kl_div with log_target=True."""
    return np.exp(target) * (target - input)


def distillation_loss(student_logits, teacher_logits, temperature):
    vocab = np.shape(student_logits)[-1]
    s = np.reshape(student_logits, (-1, vocab)).astype(np.float64)
    t = np.reshape(teacher_logits, (-1, vocab)).astype(np.float64)
    pointwise = kl_div_log_target(log_softmax(s / temperature), log_softmax(t / temperature))
    batchmean = pointwise.sum() / s.shape[0]
    return batchmean * temperature * temperature
