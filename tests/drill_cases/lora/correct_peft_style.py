# A correct solution in the style of Hugging Face PEFT's Linear: store the factors as nn.Linear
# weights would be (lora_A.weight (r, d_in), lora_B.weight (d_out, r)) and apply them as x @ W.T.
import numpy as np


def _delta_weight(a, b, scaling):
    lora_A = a.T  # (r, d_in)
    lora_B = b.T  # (d_out, r)
    return (lora_B @ lora_A).T * scaling  # PEFT's get_delta_weight, back in (d_in, d_out) layout


def lora_forward(x, w, a, b, alpha, r):
    scaling = alpha / r
    result = x @ w
    lora_A, lora_B = a.T, b.T
    result = result + (x @ lora_A.T) @ lora_B.T * scaling
    return result


def lora_merge(w, a, b, alpha, r):
    merged = np.array(w, copy=True)
    merged += _delta_weight(a, b, alpha / r)
    return merged
