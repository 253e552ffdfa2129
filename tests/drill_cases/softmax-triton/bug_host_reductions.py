# expect-bug: not a Triton kernel: the host code computes the result
# kernel only exponentiates; the max, the sum and the division are PyTorch ops in the host
import torch
import triton
import triton.language as tl


@triton.jit
def _exp(X, M, Y, n, n_cols, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(X + offs, mask=offs < n).to(tl.float32)
    m = tl.load(M + offs // n_cols, mask=offs < n)
    tl.store(Y + offs, tl.exp(x - m), mask=offs < n)


def softmax(x):
    xf = x.float().contiguous()
    m = xf.amax(-1).contiguous()
    e = torch.empty_like(xf)
    _exp[(triton.cdiv(xf.numel(), 1024),)](xf, m, e, xf.numel(), x.shape[-1], BLOCK=1024)
    return (e / e.sum(-1, keepdim=True)).to(x.dtype)
