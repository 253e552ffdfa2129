# expect-bug: not a Triton kernel: the host code computes the result
# Plain PyTorch (and an (N, N) score matrix): right values, but no kernel.
import math

import torch


def flash_attention(q, k, v, causal=False, sm_scale=None):
    scale = sm_scale or 1.0 / math.sqrt(q.shape[-1])
    s = torch.matmul(q.float(), k.float().transpose(-1, -2)) * scale
    if causal:
        n = q.shape[-2]
        s = s.masked_fill(torch.ones(n, n, dtype=torch.bool, device=q.device).triu(1), float("-inf"))
    return (torch.softmax(s, dim=-1) @ v.float()).to(q.dtype)
