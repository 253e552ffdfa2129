"""Patchify for a Vision Transformer (Dosovitskiy et al., 2021, "An Image is Worth 16x16 Words:
Transformers for Image Recognition at Scale", eq. 1).

An image x in R^{C x H x W} is cut into N = (H / p) * (W / p) non-overlapping p x p patches,
each flattened to a vector x_p^n in R^{C p^2}; the patch embedding is then z_0 = [x_p^1 E; ...;
x_p^N E] with E in R^{(C p^2) x D}.

Layout, chosen so that `patchify(x) @ E` equals a Conv2d(C, D, kernel_size=p, stride=p) whose
weight W (D, C, p, p) is E^T reshaped (the form every ViT codebase uses):

    patch n = i * (W / p) + j          row-major over the (H/p, W/p) grid
    feature c * p^2 + u * p + v        = x[c, i*p + u, j*p + v], i.e. (C, p, p) order

Dimension legend: see reference_impls/README.md (B batch, N patches; C channels, p patch side).
"""
from __future__ import annotations

import numpy as np


def patchify(images: np.ndarray, patch: int) -> np.ndarray:
    """images (B, C, H, W), H and W multiples of `patch` -> (B, N, C * patch * patch)."""
    B, C, H, W = images.shape
    p = patch
    if H % p or W % p:
        raise ValueError(f"image size {H}x{W} is not a multiple of the patch size {p}")
    gh, gw = H // p, W // p  # the patch grid
    x = images.reshape(B, C, gh, p, gw, p)  # (B, C, gh, u, gw, v): split each spatial axis
    x = x.transpose(0, 2, 4, 1, 3, 5)  # (B, gh, gw, C, u, v): grid first, row-major; (C, p, p) last
    return x.reshape(B, gh * gw, C * p * p)  # (B, N, C p^2)
