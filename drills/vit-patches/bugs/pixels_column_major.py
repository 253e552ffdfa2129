# expect-bug: pixels inside a patch flattened column-major ((C, v, u) instead of (C, u, v))
import numpy as np


def patchify(images, patch):
    B, C, H, W = images.shape
    p = patch
    x = images.reshape(B, C, H // p, p, W // p, p)
    x = np.einsum("bciujv->bijcvu", x)
    return x.reshape(B, (H // p) * (W // p), C * p * p)
