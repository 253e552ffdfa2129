# expect-bug: not a Triton kernel: the host code computes the result
# Launches a kernel for show, but the answer comes from PyTorch's SDPA.
import torch
import triton
import triton.language as tl
from torch.nn.functional import scaled_dot_product_attention


@triton.jit
def _copy(X, Y, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(Y + offs, tl.load(X + offs, mask=offs < n), mask=offs < n)


def flash_attention(q, k, v, causal=False, sm_scale=None):
    out = scaled_dot_product_attention(q, k, v, is_causal=causal, scale=sm_scale)
    res = torch.empty_like(out)
    _copy[(triton.cdiv(out.numel(), 1024),)](out, res, out.numel(), BLOCK=1024)
    return res
