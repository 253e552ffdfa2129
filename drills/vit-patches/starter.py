"""Drill: ViT patchify, images to a sequence of flattened patches (NumPy).

Implement `patchify`. Run `tfprep drill vit-patches` to grade this file.
"""
import numpy as np


def patchify(images, patch):
    """Cut images into non-overlapping patch x patch squares and flatten each one.

    Args:
        images: array (B, C, H, W); H and W are multiples of `patch`.
        patch: the side p of a square patch.

    Returns:
        Array (B, N, C * p * p) with N = (H // p) * (W // p):
        - patches in row-major order over the (H // p, W // p) grid
          (patch n is grid cell (n // (W // p), n % (W // p)));
        - each patch flattened in (C, p, p) order: feature c*p*p + u*p + v is
          images[b, c, i*p + u, j*p + v], as a Conv2d patch embedding weight (D, C, p, p) flattens.
    """
    raise NotImplementedError
