# expect-bug: merge() folded the update into base in place: the LoRALinear then adds the update twice
import math

import torch
from torch import nn


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, r: int, alpha: float):
        super().__init__()
        self.base = base
        self.base.requires_grad_(False)
        self.scaling = alpha / r
        self.A = nn.Parameter(torch.empty(r, base.in_features))
        self.B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))

    def forward(self, x):
        return self.base(x) + self.scaling * (x @ self.A.T @ self.B.T)

    @torch.no_grad()
    def merge(self):
        # PEFT-style: fold the delta into the base weight and hand the base back
        self.base.weight += self.scaling * (self.B @ self.A)
        return self.base
