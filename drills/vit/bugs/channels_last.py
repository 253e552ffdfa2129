# expect-bug: patch flattened in (p, p, C) order instead of (C, p, p)
# The einops recipe 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)' written with permute: each patch is
# flattened channels-last, so the Linear's columns no longer line up with a Conv2d's (C, p, p).
import math

import torch
from torch import nn


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.to_q = nn.Linear(dim, dim)
        self.to_k = nn.Linear(dim, dim)
        self.to_v = nn.Linear(dim, dim)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        h = self.heads

        def split(t):
            return t.reshape(b, n, h, d // h).transpose(1, 2)

        q, k, v = split(self.to_q(x)), split(self.to_k(x)), split(self.to_v(x))
        dots = q @ k.transpose(-1, -2) / math.sqrt(d // h)
        out = dots.softmax(dim=-1) @ v
        return self.to_out(out.transpose(1, 2).reshape(b, n, d))


class FeedForward(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        return self.net(x)


class Layer(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = FeedForward(dim)

    def forward(self, x):
        x = self.attn(self.norm1(x)) + x
        return self.ff(self.norm2(x)) + x


class ViT(nn.Module):
    def __init__(self, image_size, patch, d_model, depth, n_heads, n_classes, in_channels=3):
        super().__init__()
        self.patch = patch
        num_patches = (image_size // patch) ** 2
        self.patch_embed = nn.Linear(patch * patch * in_channels, d_model)
        self.cls_token = nn.Parameter(torch.randn(1, 1, d_model))
        self.pos_embedding = nn.Parameter(torch.randn(1, num_patches + 1, d_model))
        self.layers = nn.ModuleList([Layer(d_model, n_heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(d_model)
        self.mlp_head = nn.Linear(d_model, n_classes)

    def forward(self, img):
        b, c, H, W = img.shape
        p = self.patch
        x = img.reshape(b, c, H // p, p, W // p, p)
        x = x.permute(0, 2, 4, 3, 5, 1)  # b h w p1 p2 c
        x = x.reshape(b, (H // p) * (W // p), p * p * c)
        x = self.patch_embed(x)
        cls = self.cls_token.repeat(b, 1, 1)
        x = torch.cat([cls, x], dim=1) + self.pos_embedding
        for layer in self.layers:
            x = layer(x)
        return self.mlp_head(self.norm(x[:, 0]))
