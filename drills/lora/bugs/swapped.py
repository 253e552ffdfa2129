# expect-bug: a and b swapped: the update is applied transposed (x @ b.T @ a.T; it must be x @ a @ b)
import numpy as np


def lora_forward(x, w, a, b, alpha, r):
    # "B A x" read off the paper, with the factors transposed the wrong way round
    return x @ w + (alpha / r) * (x @ b.T @ a.T)


def lora_merge(w, a, b, alpha, r):
    return w + (alpha / r) * (b.T @ a.T)
