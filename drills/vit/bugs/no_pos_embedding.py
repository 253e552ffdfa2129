# expect-bug: no position embeddings (the model cannot tell where a patch is)
# Patch embedding, CLS token, blocks and readout are right; the position table was forgotten,
# so the encoder sees the patches as an unordered set.
import math

import torch
from torch import nn


class SelfAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.q = nn.Linear(d_model, d_model)
        self.k = nn.Linear(d_model, d_model)
        self.v = nn.Linear(d_model, d_model)
        self.o = nn.Linear(d_model, d_model)

    def forward(self, x):
        B, T, D = x.shape
        H, dh = self.n_heads, D // self.n_heads
        q = self.q(x).view(B, T, H, dh).transpose(1, 2)
        k = self.k(x).view(B, T, H, dh).transpose(1, 2)
        v = self.v(x).view(B, T, H, dh).transpose(1, 2)
        att = torch.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(dh)
        y = torch.einsum("bhqk,bhkd->bhqd", att.softmax(-1), v)
        return self.o(y.transpose(1, 2).reshape(B, T, D))


class Block(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(d_model)
        self.attn = SelfAttention(d_model, n_heads)
        self.ln2 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class ViT(nn.Module):
    def __init__(self, image_size, patch, d_model, depth, n_heads, n_classes, in_channels=3):
        super().__init__()
        self.patch = patch
        self.patch_embed = nn.Linear(in_channels * patch * patch, d_model)
        self.cls_token = nn.Parameter(torch.randn(1, 1, d_model) * 0.02)
        self.blocks = nn.ModuleList([Block(d_model, n_heads) for _ in range(depth)])
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, n_classes)

    def forward(self, images):
        B, C, H, W = images.shape
        p = self.patch
        x = images.unfold(2, p, p).unfold(3, p, p)  # B, C, gh, gw, p, p
        x = x.permute(0, 2, 3, 1, 4, 5).reshape(B, -1, C * p * p)
        x = self.patch_embed(x)
        x = torch.cat([self.cls_token.expand(B, -1, -1), x], dim=1)
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.ln_f(x)[:, 0])
