# A correct solution written as plain loops over the grid, slicing one block at a time.
import numpy as np


def patchify(images, patch):
    B, C, H, W = images.shape
    p = patch
    gh, gw = H // p, W // p
    out = np.empty((B, gh * gw, C * p * p), dtype=images.dtype)
    for i in range(gh):
        for j in range(gw):
            block = images[:, :, i * p:(i + 1) * p, j * p:(j + 1) * p]  # (B, C, p, p)
            out[:, i * gw + j] = block.reshape(B, C * p * p)
    return out
