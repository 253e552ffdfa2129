import torch
from torch import nn


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads, causal=False):
        super().__init__()
        raise NotImplementedError

    def forward(self, x):
        raise NotImplementedError
