# Correct: written from scratch in nanoGPT's terse style; A drawn from a Gaussian with std 1/r (one of
# PEFT's options), the base frozen parameter by parameter, merge() built from a deep copy of the base.
import copy

import torch
import torch.nn as nn


class LoRALinear(nn.Module):

    def __init__(self, base, r, alpha):
        super().__init__()
        for p in base.parameters():
            p.requires_grad = False
        self.base = base
        self.scale = alpha / r
        n_in, n_out = base.in_features, base.out_features
        self.A = nn.Parameter(torch.randn(r, n_in) / r)  # down: in -> r
        self.B = nn.Parameter(torch.zeros(n_out, r))  # up: r -> out, zero so we start at the base

    def forward(self, x):
        h = self.base(x)
        z = x @ self.A.t()  # (..., r)
        return h + self.scale * (z @ self.B.t())  # (..., out)

    def merge(self):
        out = copy.deepcopy(self.base)
        with torch.no_grad():
            out.weight.add_(self.scale * (self.B @ self.A))
        return out
