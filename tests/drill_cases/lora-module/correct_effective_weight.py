# Correct: forward applies the adapted weight W + (alpha / r) B A in one F.linear, i.e. x @ (B @ A).T
# instead of (x @ A.T) @ B.T (the same function; it forms the (out, in) update each call); A from
# torch.nn.init.normal_, merge() through einsum.
import torch
import torch.nn.functional as F
from torch import nn


class LoRALinear(nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        base.requires_grad_(False)
        self.base = base
        self.r = r
        self.alpha = alpha
        self.A = nn.Parameter(nn.init.normal_(torch.empty(r, base.in_features), std=0.02))
        self.B = nn.Parameter(torch.zeros(base.out_features, r))

    def adapted_weight(self):
        delta = torch.einsum("or,ri->oi", self.B, self.A)
        return self.base.weight + (self.alpha / self.r) * delta

    def forward(self, x):
        return F.linear(x, self.adapted_weight(), self.base.bias)

    def merge(self):
        merged = nn.Linear(self.base.in_features, self.base.out_features, bias=self.base.bias is not None)
        merged.weight = nn.Parameter(self.adapted_weight().detach().clone())
        if self.base.bias is not None:
            merged.bias = nn.Parameter(self.base.bias.detach().clone())
        return merged
