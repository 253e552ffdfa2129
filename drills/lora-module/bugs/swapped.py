# expect-bug: A and B swapped: A must be the random down-projection (r, in_features), B the zero up-projection (out_features, r)
import math

import torch
from torch import nn


class LoRALinear(nn.Module):
    """h = W x + (alpha / r) A B x: A (out, r) zero, B (r, in) random -- the roles of the paper swapped."""

    def __init__(self, base: nn.Linear, r: int, alpha: float):
        super().__init__()
        self.base = base
        self.base.requires_grad_(False)
        self.scaling = alpha / r
        self.A = nn.Parameter(torch.zeros(base.out_features, r))
        self.B = nn.Parameter(torch.empty(r, base.in_features))
        nn.init.kaiming_uniform_(self.B, a=math.sqrt(5))

    def forward(self, x):
        return self.base(x) + self.scaling * (x @ self.B.T @ self.A.T)

    @torch.no_grad()
    def merge(self):
        out = nn.Linear(self.base.in_features, self.base.out_features, bias=self.base.bias is not None)
        out.weight.copy_(self.base.weight + self.scaling * self.A @ self.B)
        if self.base.bias is not None:
            out.bias.copy_(self.base.bias)
        return out
