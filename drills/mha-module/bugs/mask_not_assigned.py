# expect-bug: causal=True ignored: no causal mask applied
import math

import torch
import torch.nn.functional as F
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
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.n_heads, dh).transpose(1, 2)
        k = k.view(B, T, self.n_heads, dh).transpose(1, 2)
        v = v.view(B, T, self.n_heads, dh).transpose(1, 2)
        att = q @ k.transpose(-2, -1) / math.sqrt(dh)
        if self.causal:
            future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
            att.masked_fill(future, float("-inf"))  # not in place, and the result is dropped
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)
