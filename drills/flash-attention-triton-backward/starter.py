"""Drill: the FlashAttention-2 backward pass (dq, dk, dv) as Triton kernels.

Start from your `flash-attention-triton` forward kernel: paste it into `_attn_fwd` and make it
also store each row's log-sum-exp. Then write the backward kernels and wire both into the
autograd.Function. Run `tfprep drill flash-attention-triton-backward` to grade this file.
Without a CUDA GPU the grader runs your kernels in Triton's CPU interpreter: use plain pointer
arithmetic with masks.
"""
import math

import torch
import triton
import triton.language as tl


@triton.jit
def _attn_fwd(Q, K, V, Out, LSE, sm_scale, stride_z, stride_h, stride_n, H, N_CTX,
              HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, CAUSAL: tl.constexpr):
    """Your forward kernel, plus: store LSE[row] = m_i + log(l_i) for every valid query row."""
    pass  # TODO


@triton.jit
def _attn_bwd_preprocess(O, DO, Delta, stride_z, stride_h, stride_n, H, N_CTX,
                         HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr):
    """Delta[row] = sum over d of O[row, d] * dO[row, d]."""
    pass  # TODO


@triton.jit
def _attn_bwd_dkdv(Q, K, V, DO, DK, DV, LSE, Delta, sm_scale, stride_z, stride_h, stride_n, H, N_CTX,
                   HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, CAUSAL: tl.constexpr):
    """One program per key block: loop over query blocks, accumulate dK and dV."""
    pass  # TODO


@triton.jit
def _attn_bwd_dq(Q, K, V, DO, DQ, LSE, Delta, sm_scale, stride_z, stride_h, stride_n, H, N_CTX,
                 HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, CAUSAL: tl.constexpr):
    """One program per query block: loop over key blocks, accumulate dQ."""
    pass  # TODO


class FlashAttention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, causal, sm_scale):
        """Launch _attn_fwd; ctx.save_for_backward(q, k, v, out, lse); return out."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx, do):
        """Launch the backward kernels; return dq, dk, dv, None, None."""
        raise NotImplementedError


def flash_attention(q, k, v, causal=False, sm_scale=None):
    """Differentiable flash attention: softmax(q @ k^T * sm_scale) @ v with Triton kernels both ways.

    Args:
        q, k, v: (B, H, N, D) torch tensors, float16/bfloat16/float32, D in {16, 32, 64, 128}.
        causal: query i attends only to keys j <= i.
        sm_scale: the softmax scale; None means 1 / sqrt(D).

    Returns:
        out (B, H, N, D) whose .backward() / torch.autograd.grad runs your backward kernels.
    """
    if sm_scale is None:
        sm_scale = 1.0 / math.sqrt(q.shape[-1])
    return FlashAttention.apply(q, k, v, causal, sm_scale)
