# Correct: in the manner of Hugging Face PEFT's lora.Linear (r, lora_alpha, scaling, a dropout that is
# the identity by default, get_delta_weight), but with the factors as the parameters A and B that the
# drill's contract names, not as lora_A / lora_B nn.Linear submodules.
import math

import torch
import torch.nn.functional as F
from torch import nn


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, r: int, alpha: float, lora_dropout: float = 0.0):
        super().__init__()
        if r <= 0:
            raise ValueError(f"r must be positive, got {r}")
        self.base = base
        self.base.weight.requires_grad = False
        if self.base.bias is not None:
            self.base.bias.requires_grad = False
        self.in_features, self.out_features = base.in_features, base.out_features
        self.r = r
        self.lora_alpha = alpha
        self.scaling = alpha / r
        self.lora_dropout = nn.Dropout(p=lora_dropout) if lora_dropout > 0.0 else nn.Identity()
        weight = base.weight
        self.A = nn.Parameter(torch.empty((r, self.in_features), dtype=weight.dtype, device=weight.device))
        self.B = nn.Parameter(torch.empty((self.out_features, r), dtype=weight.dtype, device=weight.device))
        self.reset_lora_parameters()

    def reset_lora_parameters(self):
        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))
        nn.init.zeros_(self.B)

    def get_delta_weight(self) -> torch.Tensor:
        return (self.B @ self.A) * self.scaling

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result = self.base(x)
        lora = F.linear(F.linear(self.lora_dropout(x), self.A), self.B)
        return result + lora * self.scaling

    def merge(self) -> nn.Linear:
        merged = nn.Linear(self.in_features, self.out_features, bias=self.base.bias is not None,
                           device=self.base.weight.device, dtype=self.base.weight.dtype)
        with torch.no_grad():
            merged.weight.copy_(self.base.weight.data + self.get_delta_weight())
            if self.base.bias is not None:
                merged.bias.copy_(self.base.bias.data)
        return merged
