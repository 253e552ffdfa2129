"""Drill: the FlashAttention-2 forward pass as a Triton kernel.

Implement `flash_attention` by launching a Triton kernel you write below.
Run `tfprep drill flash-attention-triton` to grade this file. Without a CUDA GPU the grader
runs your kernel in Triton's CPU interpreter (TRITON_INTERPRET=1), so avoid GPU-only features:
use plain pointer arithmetic with masks (tl.load / tl.store), not block pointers or TMA.
"""
import math

import torch
import triton
import triton.language as tl


@triton.jit
def _attn_fwd(Q, K, V, Out, sm_scale, stride_z, stride_h, stride_n, H, N_CTX,
              HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, CAUSAL: tl.constexpr):
    """One program computes BLOCK_M rows of the output for one (batch, head).

    Suggested plan (a sketch, change anything you like):
      - program ids: start_m = tl.program_id(0) (query block), off_hz = tl.program_id(1) (batch * H + head)
      - load the q tile (BLOCK_M, HEAD_DIM), masking rows >= N_CTX
      - m_i = -inf, l_i = 0, acc = 0 (float32)
      - for each key block: s = q @ k^T * scale, mask it, update m_i, rescale l_i and acc, add p @ v
      - out = acc / l_i, stored with the row mask
    """
    pass  # TODO


def flash_attention(q, k, v, causal=False, sm_scale=None):
    """softmax(q @ k^T * sm_scale) @ v, computed by a Triton kernel without an (N, N) buffer.

    Args:
        q, k, v: torch tensors of shape (B, H, N, D), all float16, bfloat16 or float32, D in
            {16, 32, 64, 128}, N any positive length; they may be non-contiguous.
        causal: query i attends only to keys j <= i.
        sm_scale: the softmax scale; None means 1 / sqrt(D).

    Returns:
        out: (B, H, N, D) tensor with q's dtype and device.
    """
    raise NotImplementedError
