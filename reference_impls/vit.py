"""Reference for the `vit` drill: a Vision Transformer classifier (Dosovitskiy et al., 2021, "An
Image is Worth 16x16 Words", section 3.1, eqs. 1-4), written in the style of nanoGPT.

    z_0 = [x_cls; x_p^1 E; ...; x_p^N E] + E_pos        E (C p^2, D), E_pos (N + 1, D)
    z_l = pre-LN block(z_(l-1)),  l = 1..depth           bidirectional self-attention
    y   = head(LN(z_depth[0]))                           the CLS token's output only

The image is cut into N = (H / p) * (W / p) patches, row-major over the grid, each flattened in
(C, p, p) order: the layout of a Conv2d(C, D, kernel_size=p, stride=p) weight, so the Linear
patch embedding below is that convolution. The blocks are the tier's `Block` (from
`tfprep.content.reference_impls.gpt`) with `causal=False`.

Dimension legend: see reference_impls/README.md (B batch, N patches, D d_model; C channels,
p patch side, g = image side / p patches a side).
"""
from __future__ import annotations

import torch
from torch import nn

from tfprep.content.reference_impls.gpt import Block, init_weights


def patchify(images: torch.Tensor, patch: int) -> torch.Tensor:
    """images (B, C, H, W), H and W multiples of `patch` -> patches (B, N, C * patch * patch)."""
    B, C, H, W = images.shape
    p = patch
    gh, gw = H // p, W // p  # the patch grid
    x = images.reshape(B, C, gh, p, gw, p)  # (B, C, gh, p, gw, p): each spatial axis split in two
    x = x.permute(0, 2, 4, 1, 3, 5)  # (B, gh, gw, C, p, p): grid first (row-major), then (C, p, p)
    return x.reshape(B, gh * gw, C * p * p)  # (B, N, C p^2)


class ViT(nn.Module):
    """Patch embedding, a learnable CLS token, learned position embeddings, pre-LN blocks, a
    final LayerNorm and a linear head on the CLS token's output."""

    def __init__(self, image_size: int, patch: int, d_model: int, depth: int, n_heads: int, n_classes: int,
                 in_channels: int = 3):
        super().__init__()
        if image_size % patch:
            raise ValueError(f"image_size={image_size} is not a multiple of patch={patch}")
        self.patch = patch
        n_patches = (image_size // patch) ** 2
        self.patch_embed = nn.Linear(in_channels * patch * patch, d_model)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d_model))
        self.pos_emb = nn.Parameter(torch.zeros(1, n_patches + 1, d_model))  # position 0 is the CLS token's
        self.blocks = nn.ModuleList([Block(d_model, n_heads, causal=False) for _ in range(depth)])
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, n_classes)
        self.apply(init_weights)
        nn.init.normal_(self.cls_token, std=0.02)
        nn.init.normal_(self.pos_emb, std=0.02)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        B = images.shape[0]
        x = self.patch_embed(patchify(images, self.patch))  # (B, N, d_model)
        cls = self.cls_token.expand(B, -1, -1)  # (B, 1, d_model): the same learned vector for every image
        x = torch.cat([cls, x], dim=1) + self.pos_emb  # (B, N + 1, d_model)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x[:, 0]))  # (B, n_classes): read out the CLS token only
