# expect-bug: mean-pooling over the tokens instead of reading the CLS token's output
# The CLS token is prepended as it should be, but the head reads the average of all tokens.
import math

import torch
from torch import nn


class Attention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.h = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x):
        B, N, D = x.shape
        q, k, v = torch.split(self.qkv(x), D, dim=-1)
        q, k, v = (t.reshape(B, N, self.h, D // self.h).permute(0, 2, 1, 3) for t in (q, k, v))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D // self.h), dim=-1)
        return self.proj((a @ v).permute(0, 2, 1, 3).reshape(B, N, D))


class Block(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n1 = nn.LayerNorm(d_model)
        self.attn = Attention(d_model, n_heads)
        self.n2 = nn.LayerNorm(d_model)
        self.fc1 = nn.Linear(d_model, 4 * d_model)
        self.fc2 = nn.Linear(4 * d_model, d_model)

    def forward(self, x):
        x = x + self.attn(self.n1(x))
        return x + self.fc2(torch.nn.functional.gelu(self.fc1(self.n2(x))))


class ViT(nn.Module):
    def __init__(self, image_size, patch, d_model, depth, n_heads, n_classes, in_channels=3):
        super().__init__()
        self.patch = patch
        n = (image_size // patch) ** 2
        self.patch_embed = nn.Conv2d(in_channels, d_model, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d_model))
        self.pos_embed = nn.Parameter(torch.randn(1, n + 1, d_model) * 0.02)
        self.blocks = nn.ModuleList([Block(d_model, n_heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, n_classes)

    def forward(self, images):
        x = self.patch_embed(images).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        x = self.norm(x)
        return self.head(x.mean(dim=1))
