# expect-bug: patch flattened in (p, p, C) order (channels last) instead of (C, p, p)
import numpy as np


def patchify(images, patch):
    # Go to channels-last (B, H, W, C) first, as image libraries store pixels, then cut.
    x = np.transpose(images, (0, 2, 3, 1))
    B, H, W, C = x.shape
    x = x.reshape(B, H // patch, patch, W // patch, patch, C)
    x = x.transpose(0, 1, 3, 2, 4, 5)  # (B, gh, gw, p, p, C)
    return x.reshape(B, -1, patch * patch * C)
