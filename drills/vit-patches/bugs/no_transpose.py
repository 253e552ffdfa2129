# expect-bug: reshape without a transpose (each 'patch' is a run of consecutive pixels, not a p x p block)
import numpy as np


def patchify(images, patch):
    B, C, H, W = images.shape
    n = (H // patch) * (W // patch)
    return images.reshape(B, n, C * patch * patch)
