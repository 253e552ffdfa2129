# expect-bug: scores scaled by 1/sqrt(d_model) instead of 1/sqrt(d_head)
import math

import torch
import torch.nn.functional as F
from torch import nn


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads, causal=False):
        super().__init__()
        self.d_model, self.n_heads, self.causal = d_model, n_heads, causal
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x):
        B, T, _ = x.shape
        H, D = self.n_heads, self.d_model // self.n_heads
        qkv = self.qkv(x)
        q, k, v = (qkv[..., i * self.d_model:(i + 1) * self.d_model].reshape(B, T, H, D).permute(0, 2, 1, 3)
                   for i in range(3))
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.d_model)
        if self.causal:
            future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
            scores = scores.masked_fill(future, float("-inf"))
        out = torch.matmul(F.softmax(scores, dim=-1), v)
        return self.proj(out.permute(0, 2, 1, 3).reshape(B, T, self.d_model))
