# A correct solution with einsum, the scale kept as a float, the merge reused by nothing.
import numpy as np


def lora_forward(x, w, a, b, alpha, r):
    scaling = float(alpha) / float(r)
    base = np.einsum("...i,io->...o", x, w)
    down = np.einsum("...i,ir->...r", x, a)
    return base + scaling * np.einsum("...r,ro->...o", down, b)


def lora_merge(w, a, b, alpha, r):
    return w + (float(alpha) / float(r)) * np.einsum("ir,ro->io", a, b)
