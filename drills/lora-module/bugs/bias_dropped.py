# expect-bug: bias dropped: base.bias must be in the output (once) and kept by merge()
import math

import torch
from torch import nn


class LoRALinear(nn.Module):
    """h = (W + (alpha / r) B A) x: the adapted weight applied in one product."""

    def __init__(self, base: nn.Linear, r: int, alpha: float):
        super().__init__()
        self.base = base
        self.base.requires_grad_(False)
        self.scaling = alpha / r
        self.A = nn.Parameter(torch.empty(r, base.in_features))
        self.B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))

    def weight(self):
        return self.base.weight + self.scaling * (self.B @ self.A)

    def forward(self, x):
        return x @ self.weight().T  # the base's bias never added

    @torch.no_grad()
    def merge(self):
        out = nn.Linear(self.base.in_features, self.base.out_features, bias=False)
        out.weight.copy_(self.weight())
        return out
