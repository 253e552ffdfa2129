# A correct ViT written nanoGPT's way, independently of the reference: an nn.Linear patch
# embedding on patches cut with reshape/permute, an nn.Embedding position table indexed by
# torch.arange, a fused c_attn projection, PyTorch's default initialisation.
import math

import torch
import torch.nn.functional as F
from torch import nn


class SelfAttention(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        assert n_embd % n_head == 0
        self.n_head = n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        hs = C // self.n_head
        q = q.view(B, T, self.n_head, hs).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, self.n_head, hs).transpose(1, 2)
        v = v.view(B, T, self.n_head, hs).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))  # (B, nh, T, T), no mask
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, n_embd):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * n_embd, n_embd)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = SelfAttention(n_embd, n_head)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = MLP(n_embd)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


class ViT(nn.Module):
    def __init__(self, image_size, patch, d_model, depth, n_heads, n_classes, in_channels=3):
        super().__init__()
        self.p = patch
        self.n_patches = (image_size // patch) ** 2
        self.patch_embed = nn.Linear(in_channels * patch * patch, d_model)
        self.cls = nn.Parameter(torch.randn(1, 1, d_model) * 0.02)
        self.wpe = nn.Embedding(self.n_patches + 1, d_model)
        self.h = nn.ModuleList([Block(d_model, n_heads) for _ in range(depth)])
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, n_classes)

    def patches(self, img):
        b, c, hh, ww = img.shape
        p = self.p
        img = img.view(b, c, hh // p, p, ww // p, p)
        img = img.permute(0, 2, 4, 1, 3, 5).contiguous()
        return img.view(b, (hh // p) * (ww // p), c * p * p)

    def forward(self, images):
        b = images.size(0)
        tok = self.patch_embed(self.patches(images))
        x = torch.cat((self.cls.expand(b, 1, -1), tok), dim=1)
        pos = torch.arange(0, x.size(1), dtype=torch.long, device=images.device)
        x = x + self.wpe(pos)
        for block in self.h:
            x = block(x)
        x = self.ln_f(x)
        return self.head(x[:, 0, :])
