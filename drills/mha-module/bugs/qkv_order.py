# expect-bug: q, k and v taken from the wrong thirds of qkv (its output columns are q, then k, then v)
import math

import torch
from torch import nn


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads, causal=False):
        super().__init__()
        self.n_heads = n_heads
        self.causal = causal
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x):
        B, T, C = x.shape
        dh = C // self.n_heads
        k, q, v = self.qkv(x).split(C, dim=2)  # the first third is q, not k
        q = q.view(B, T, self.n_heads, dh).transpose(1, 2)
        k = k.view(B, T, self.n_heads, dh).transpose(1, 2)
        v = v.view(B, T, self.n_heads, dh).transpose(1, 2)
        att = q @ k.transpose(-2, -1) / math.sqrt(dh)
        if self.causal:
            allowed = torch.tril(torch.ones(T, T, dtype=torch.bool, device=x.device))
            att = att.masked_fill(~allowed, float("-inf"))
        y = att.softmax(dim=-1) @ v
        return self.proj(y.transpose(1, 2).contiguous().view(B, T, C))
