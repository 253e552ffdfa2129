"""Row-wise fused softmax as a Triton kernel.

    y_ij = exp(x_ij - max_j x_ij) / sum_j exp(x_ij - max_j x_ij)   over the last dimension

A naive PyTorch softmax reads x several times from GPU memory (max, exp-and-sum, divide) and
writes temporaries; this kernel reads each row into on-chip memory, does all three steps there
and writes y once, so it runs at close to the speed of a plain copy (Triton tutorial
"Fused Softmax"). Rows longer than one block are handled with the online softmax
(Milakov & Gimelshein 2018): a first pass keeps a running max `m` and a running sum `l`
(rescaled by exp(m_old - m_new) whenever the max grows), a second pass writes the result.

Subtracting the max matters: exp overflows float32 past ~88 and float16 past ~11.
Shapes: x (..., n_cols), any dtype of float16/bfloat16/float32; math in float32.
"""
from __future__ import annotations

import torch
import triton
import triton.language as tl

MAX_BLOCK = 8192  # longer rows loop over column blocks instead of holding the row at once


@triton.jit
def _softmax_kernel(X, Y, stride_x, stride_y, n_cols, BLOCK: tl.constexpr):
    """One program per row."""
    row = tl.program_id(0).to(tl.int64)
    x_row, y_row = X + row * stride_x, Y + row * stride_y
    offs = tl.arange(0, BLOCK)

    # pass 1: running max and running sum of exp, per lane, then combined across lanes
    m = tl.full([BLOCK], float("-inf"), dtype=tl.float32)
    l = tl.zeros([BLOCK], dtype=tl.float32)
    for start in range(0, n_cols, BLOCK):
        cols = start + offs
        x = tl.load(x_row + cols, mask=cols < n_cols, other=float("-inf")).to(tl.float32)
        m_new = tl.maximum(m, x)
        # a lane that has seen only -inf (padding) would compute exp(-inf - -inf) = nan: shift it by 0
        m_safe = tl.where(m_new == float("-inf"), 0.0, m_new)
        l = l * tl.exp(m - m_safe) + tl.exp(x - m_safe)
        m = m_new
    m_row = tl.max(m, 0)
    l_row = tl.sum(l * tl.exp(m - m_row), 0)

    # pass 2: normalise and write once
    for start in range(0, n_cols, BLOCK):
        cols = start + offs
        x = tl.load(x_row + cols, mask=cols < n_cols, other=float("-inf")).to(tl.float32)
        y = tl.exp(x - m_row) / l_row
        tl.store(y_row + cols, y.to(Y.dtype.element_ty), mask=cols < n_cols)


def softmax(x: torch.Tensor) -> torch.Tensor:
    """Softmax over the last dimension of `x` (float16, bfloat16 or float32)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError("x must be a torch tensor")
    if x.dtype not in (torch.float16, torch.bfloat16, torch.float32):
        raise ValueError(f"unsupported dtype {x.dtype}")
    if x.dim() == 0 or x.numel() == 0:
        raise ValueError(f"x must have at least one element and one dimension; got shape {tuple(x.shape)}")
    n_cols = x.shape[-1]
    x2 = x.reshape(-1, n_cols)  # (rows, n_cols); a view when x is contiguous
    if x2.stride(-1) != 1:
        x2 = x2.contiguous()
    y2 = torch.empty((x2.shape[0], n_cols), device=x.device, dtype=x.dtype)
    block = min(triton.next_power_of_2(n_cols), MAX_BLOCK)
    num_warps = 4 if block <= 2048 else (8 if block <= 4096 else 16)
    _softmax_kernel[(x2.shape[0],)](x2, y2, x2.stride(0), y2.stride(0), n_cols, BLOCK=block, num_warps=num_warps)
    return y2.reshape(x.shape)


__all__ = ["softmax"]
