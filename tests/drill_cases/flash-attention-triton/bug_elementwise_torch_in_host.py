# expect-bug: not a Triton kernel: the host code computes the result
# attention in PyTorch without matmul/softmax ops (broadcast multiply + sum, exp), plus a copy kernel
import math
import torch
import triton
import triton.language as tl

@triton.jit
def _copy(X, Y, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(Y + offs, tl.load(X + offs, mask=offs < n), mask=offs < n)


def _launch_copy(src):
    src = src.contiguous()
    dst = torch.empty_like(src)
    _copy[(triton.cdiv(src.numel(), 1024),)](src, dst, src.numel(), BLOCK=1024)
    return dst


def flash_attention(q, k, v, causal=False, sm_scale=None):
    N, D = q.shape[-2], q.shape[-1]
    scale = 1.0 / math.sqrt(D) if sm_scale is None else sm_scale
    qd, kd, vd = q.double(), k.double(), v.double()
    s = (qd.unsqueeze(-2) * kd.unsqueeze(-3)).sum(-1) * scale          # (B, H, N, N), no aten.mm
    if causal:
        s = s.masked_fill(torch.ones(N, N, dtype=torch.bool).triu(1), float("-inf"))
    p = torch.exp(s - s.amax(-1, keepdim=True))
    p = p / p.sum(-1, keepdim=True)
    out = (p.unsqueeze(-1) * vd.unsqueeze(-3)).sum(-2)
    return _launch_copy(out.to(q.dtype))
