# expect-bug: patches ordered column-major over the grid (patch n must be grid cell (n // (W/p), n % (W/p)))
import numpy as np


def patchify(images, patch):
    B, C, H, W = images.shape
    p = patch
    out = []
    for j in range(W // p):          # walks down each column of patches first
        for i in range(H // p):
            out.append(images[:, :, i * p:(i + 1) * p, j * p:(j + 1) * p].reshape(B, -1))
    return np.stack(out, axis=1)
