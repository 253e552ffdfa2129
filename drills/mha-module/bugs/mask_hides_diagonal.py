# expect-bug: causal mask off by one: the diagonal is hidden, so query t cannot see token t (query 0 is left with no key at all: NaN with a -inf fill, attention to every token with a finite fill)
import math

import torch
from torch import nn


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads, causal=False, max_len=1024):
        super().__init__()
        self.n_heads = n_heads
        self.causal = causal
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        future = torch.triu(torch.ones(max_len, max_len, dtype=torch.bool))  # diagonal=0 hides t from itself too
        self.register_buffer("future", future, persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        dh = C // self.n_heads
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.n_heads, dh).transpose(1, 2)
        k = k.view(B, T, self.n_heads, dh).transpose(1, 2)
        v = v.view(B, T, self.n_heads, dh).transpose(1, 2)
        att = q @ k.transpose(-2, -1) / math.sqrt(dh)
        if self.causal:
            att = att.masked_fill(self.future[:T, :T], float("-inf"))
        att = att.softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)
