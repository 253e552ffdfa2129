# expect-bug: merge returns the update alone: w must be added
import numpy as np


def lora_forward(x, w, a, b, alpha, r):
    return x @ w + alpha / r * (x @ a) @ b


def lora_merge(w, a, b, alpha, r):
    return alpha / r * a @ b
