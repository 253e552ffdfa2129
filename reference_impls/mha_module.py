"""Reference for the `mha-module` drill: multi-head self-attention as an nn.Module, nanoGPT's way.

One fused projection makes q, k and v at once (`qkv`: d_model -> 3 * d_model, output columns
q | k | v, head h at h*dh:(h+1)*dh inside each third); the heads attend in parallel as one batched
matmul; `proj` mixes the concatenated heads. Attention is written out, not taken from
F.scaled_dot_product_attention, so every step is visible.
"""
from __future__ import annotations

import math

import torch
from torch import nn


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model: int, n_heads: int, causal: bool = False):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model={d_model} is not divisible by n_heads={n_heads}")
        self.n_heads = n_heads
        self.causal = causal
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        H, dh = self.n_heads, C // self.n_heads
        q, k, v = self.qkv(x).split(C, dim=2)  # each (B, T, C)
        q = q.view(B, T, H, dh).transpose(1, 2)  # (B, H, T, dh)
        k = k.view(B, T, H, dh).transpose(1, 2)  # (B, H, T, dh)
        v = v.view(B, T, H, dh).transpose(1, 2)  # (B, H, T, dh)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(dh)  # (B, H, T, T)
        if self.causal:
            allowed = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()  # query i sees keys j <= i
            att = att.masked_fill(~allowed, float("-inf"))
        att = att.softmax(dim=-1)
        y = att @ v  # (B, H, T, dh)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # (B, T, C): the heads side by side
        return self.proj(y)
