# expect-bug: A and B stored transposed (row-vector layout): A must be (r, in_features) and B (out_features, r), used as x A^T B^T
import torch
from torch import nn


class LoRALinear(nn.Module):
    """out = x W^T + b + (alpha / r) x A B, with A (in, r) and B (r, out) acting on row vectors."""

    def __init__(self, base: nn.Linear, r: int, alpha: float):
        super().__init__()
        self.base = base
        self.base.requires_grad_(False)
        self.scaling = alpha / r
        self.A = nn.Parameter(torch.randn(base.in_features, r) / r)
        self.B = nn.Parameter(torch.zeros(r, base.out_features))

    def forward(self, x):
        return self.base(x) + self.scaling * (x @ self.A @ self.B)

    @torch.no_grad()
    def merge(self):
        out = nn.Linear(self.base.in_features, self.base.out_features, bias=self.base.bias is not None)
        out.weight.copy_(self.base.weight + self.scaling * (self.A @ self.B).T)
        if self.base.bias is not None:
            out.bias.copy_(self.base.bias)
        return out
