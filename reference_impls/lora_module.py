"""Reference for the `lora-module` drill: LoRA as a PyTorch module (Hu et al., 2021, "LoRA:
Low-Rank Adaptation of Large Language Models", eq. 3 and section 4.1).

A frozen nn.Linear `base` (weight W (out, in), bias b) plus a trainable low-rank update:

    h = base(x) + (alpha / r) * x A^T B^T        A (r, in) random, B (out, r) zero

B = 0 at the start, so a fresh adapter is the base layer exactly; alpha / r keeps the update's
size comparable while r is tuned. Only r * (in + out) numbers train instead of in * out.
`merge()` folds the update into one new nn.Linear, W' = W + (alpha / r) B A, so inference costs
nothing extra; the LoRALinear itself is left unchanged (it can keep training).

A is initialised as PEFT does by default, kaiming_uniform_(a=sqrt(5)) (nn.Linear's own rule);
the paper's Gaussian would do as well.
"""
from __future__ import annotations

import math

import torch
from torch import nn


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, r: int, alpha: float):
        super().__init__()
        self.base = base  # the caller's module itself, not a copy
        self.base.requires_grad_(False)  # weight and bias frozen
        self.r, self.alpha = r, alpha
        self.scaling = alpha / r
        w = base.weight
        self.A = nn.Parameter(torch.empty(r, base.in_features, dtype=w.dtype, device=w.device))  # (r, in)
        self.B = nn.Parameter(torch.zeros(base.out_features, r, dtype=w.dtype, device=w.device))  # (out, r)
        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x (..., in): down to r, up to out; the (out, in) update is never formed
        update = (x @ self.A.T) @ self.B.T  # (..., r) -> (..., out)
        return self.base(x) + self.scaling * update  # (..., out)

    @torch.no_grad()
    def merge(self) -> nn.Linear:
        """A new nn.Linear equal to this layer: weight W + (alpha / r) B A, the base's bias."""
        base = self.base
        merged = nn.Linear(base.in_features, base.out_features, bias=base.bias is not None,
                           dtype=base.weight.dtype, device=base.weight.device)
        merged.weight.copy_(base.weight + self.scaling * (self.B @ self.A))  # (out, r) @ (r, in) -> (out, in)
        if base.bias is not None:
            merged.bias.copy_(base.bias)
        return merged
