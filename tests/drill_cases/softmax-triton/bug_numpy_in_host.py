# expect-bug: not a Triton kernel: the host code computes the result
# The softmax computed in NumPy in the host; a copy kernel launched for show.
import numpy as np
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


def softmax(x):
    a = x.detach().cpu().double().numpy()
    e = np.exp(a - a.max(-1, keepdims=True))
    y = torch.from_numpy(e / e.sum(-1, keepdims=True)).to(x.dtype)
    return _launch_copy(y).reshape(x.shape)
