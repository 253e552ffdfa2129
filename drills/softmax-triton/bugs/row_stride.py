# expect-bug: row stride assumed to be n_cols: a non-contiguous input is read from the wrong places
import torch
import triton
import triton.language as tl


@triton.jit
def _softmax_kernel(X, Y, stride_x, stride_y, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    x = tl.load(X + row * stride_x + cols, mask=cols < n_cols, other=float("-inf")).to(tl.float32)  # LOAD
    z = x - tl.max(x, axis=0)  # MAX
    e = tl.exp(z)
    y = e / tl.sum(e, axis=0)
    tl.store(Y + row * stride_y + cols, y.to(Y.dtype.element_ty), mask=cols < n_cols)


def softmax(x):
    n_cols = x.shape[-1]
    x2 = x.reshape(-1, n_cols)
    if x2.stride(-1) != 1:
        x2 = x2.contiguous()
    y2 = torch.empty((x2.shape[0], n_cols), dtype=x.dtype, device=x.device)
    _softmax_kernel[(x2.shape[0],)](x2, y2, n_cols, n_cols, n_cols,  # LAUNCH
                                    BLOCK=triton.next_power_of_2(n_cols))
    return y2.reshape(x.shape)
