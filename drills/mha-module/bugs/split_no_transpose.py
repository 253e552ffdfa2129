# expect-bug: heads split by reshaping (B, T, C) straight to (B, H, T, d_head) without a transpose (tokens and heads mixed)
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
        H = self.n_heads
        dh = C // H
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q = q.reshape(B, H, T, dh)  # (B, T, C) -> (B, H, T, dh) in one reshape: no transpose
        k = k.reshape(B, H, T, dh)
        v = v.reshape(B, H, T, dh)
        att = q @ k.transpose(-2, -1) / math.sqrt(dh)
        if self.causal:
            keep = torch.tril(torch.ones(T, T, device=x.device)).bool()
            att = att.masked_fill(~keep, float("-inf"))
        y = att.softmax(dim=-1) @ v
        y = y.transpose(1, 2).reshape(B, T, C)
        return self.proj(y)
