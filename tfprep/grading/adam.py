"""Adam written out, for the PyTorch tier's training checks and `tfprep drill gpt --play`.

Constructing any torch.optim optimiser imports torch._dynamo (about 3 s on a laptop CPU, more than
a whole grading), so tfprep trains with this instead; tests/oracles/test_grading_adam.py checks it
against torch.optim.Adam.
"""
from __future__ import annotations

import torch


class Adam:
    """Adam (bias-corrected, no weight decay) written out: constructing any torch.optim optimiser
    imports torch._dynamo, about 3 s of a grading's start-up."""

    def __init__(self, params, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        self.params = [p for p in params if p.requires_grad]
        self.lr, (self.b1, self.b2), self.eps, self.t = lr, betas, eps, 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        c1, c2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            m.mul_(self.b1).add_(p.grad, alpha=1 - self.b1)
            v.mul_(self.b2).addcmul_(p.grad, p.grad, value=1 - self.b2)
            p.addcdiv_(m, (v / c2).sqrt_().add_(self.eps), value=-self.lr / c1)
