# expect-bug: scale alpha instead of alpha / r
import numpy as np


def lora_forward(x, w, a, b, alpha, r):
    return x @ w + alpha * (x @ a @ b)


def lora_merge(w, a, b, alpha, r):
    return w + alpha * (a @ b)
