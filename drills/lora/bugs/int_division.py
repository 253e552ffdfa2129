# expect-bug: alpha // r: integer division truncates the scale
import numpy as np


def lora_forward(x, w, a, b, alpha, r):
    scale = alpha // r
    return x @ w + scale * ((x @ a) @ b)


def lora_merge(w, a, b, alpha, r):
    return w + (alpha // r) * a @ b
