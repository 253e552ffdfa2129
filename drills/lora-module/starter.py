"""Drill: LoRA as a PyTorch module.

Implement `LoRALinear`. Run `tfprep drill lora-module` to grade this file.
"""
import math

import torch
from torch import nn


class LoRALinear(nn.Module):
    """A frozen nn.Linear plus a trainable low-rank update (LoRA, Hu et al., 2021).

    forward(x) = base(x) + (alpha / r) * x @ A.T @ B.T

    Args:
        base: the nn.Linear to adapt (weight W (out_features, in_features), bias b or None).
            Keep this very object as `self.base` and freeze it: requires_grad=False on its
            weight and its bias.
        r: the rank of the update.
        alpha: the scale numerator; the update is multiplied by alpha / r.

    Attributes the suite reads:
        self.base: the nn.Linear passed in.
        self.A: nn.Parameter (r, in_features), random (e.g. nn.init.kaiming_uniform_(A, a=math.sqrt(5))).
        self.B: nn.Parameter (out_features, r), zeros.
    """

    def __init__(self, base: nn.Linear, r: int, alpha: float):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (..., in_features) -> (..., out_features)."""
        raise NotImplementedError

    def merge(self) -> nn.Linear:
        """A NEW nn.Linear (in_features -> out_features) with weight W + (alpha / r) * B @ A and the
        base's bias (none if the base has none). Leaves this LoRALinear, its base, A and B unchanged."""
        raise NotImplementedError
