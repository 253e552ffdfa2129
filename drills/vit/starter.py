import torch
import torch.nn.functional as F
from torch import nn


class ViT(nn.Module):
    """A Vision Transformer classifier.

    images (B, in_channels, image_size, image_size) -> logits (B, n_classes), float32.

    - image_size is a multiple of `patch`; the grid has g = image_size // patch patches a side,
      N = g * g patches, row-major (patch n is grid cell (n // g, n % g)), each flattened in
      (C, patch, patch) order.
    - `self.patch_embed` (the one attribute name the suite relies on) is either
      nn.Linear(in_channels * patch * patch, d_model), applied to the flattened patches, or
      nn.Conv2d(in_channels, d_model, kernel_size=patch, stride=patch), applied to the images.
      Call it as a module: `self.patch_embed(...)`.
    - A learnable CLS token is prepended (position 0), learned position embeddings for the N + 1
      positions are added, then `depth` pre-LN blocks with bidirectional multi-head
      self-attention (no mask) and an MLP, a final LayerNorm, and a Linear head on the CLS
      token's output only. depth=0 must work.
    - Write the attention yourself: F.scaled_dot_product_attention, nn.MultiheadAttention and
      nn.Transformer* are refused. No dropout.
    """

    def __init__(self, image_size, patch, d_model, depth, n_heads, n_classes, in_channels=3):
        super().__init__()
        raise NotImplementedError

    def forward(self, images):
        raise NotImplementedError
