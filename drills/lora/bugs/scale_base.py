# expect-bug: alpha / r applied to the base output x @ w too (only the low-rank update is scaled)
import numpy as np


def lora_forward(x, w, a, b, alpha, r):
    return (alpha / r) * (x @ w + x @ a @ b)


def lora_merge(w, a, b, alpha, r):
    return (alpha / r) * (w + a @ b)
