"""FlashAttention-2 forward pass as a Triton kernel.

    O = softmax(Q K^T * sm_scale) V,   sm_scale = 1 / sqrt(D) by default

computed one (BLOCK_M, BLOCK_N) tile of scores at a time with the online softmax (Dao et al.
2022, "FlashAttention", Algorithm 1; Dao 2023, "FlashAttention-2", Algorithm 1): each program
owns BLOCK_M query rows of one (batch, head) and walks over the key blocks keeping, per row,
the running max `m_i`, the running sum `l_i` of exponentials and the unnormalised output `acc`;
nothing of size (N, N) ever exists. FlashAttention-2's changes over v1 are here: the loop over
keys is the inner one (queries are spread over programs), `acc` is rescaled by `alpha` lazily
and divided by `l_i` once at the end, and with `causal=True` key blocks entirely above the
diagonal are never visited while only the blocks that cross it pay for a mask.

The kernel stores the row log-sum-exp (base 2, in the scaled domain) that the backward pass
(`flash_attention_triton_backward.py`) needs to recompute P without a second softmax.

Plain pointer arithmetic with masks, in the style of Triton's tutorials, so the same code runs
compiled on a GPU and in Triton's CPU interpreter (TRITON_INTERPRET=1).
Shapes: q, k, v, out (B, H, N, D) with D in {16, 32, 64, 128}; lse (B, H, N) float32.
"""
from __future__ import annotations

import math
import os

import torch
import triton
import triton.language as tl

HEAD_DIMS = (16, 32, 64, 128)
DTYPES = (torch.float16, torch.bfloat16, torch.float32)


def interpreting() -> bool:
    return os.environ.get("TRITON_INTERPRET") == "1"


@triton.jit
def _attn_fwd_inner(acc, l_i, m_i, q, k_ptrs, v_ptrs, stride_kn, stride_vn, offs_m, offs_n, lo, hi, N_CTX,
                    qk_scale, BLOCK_N: tl.constexpr, CAUSAL_MASK: tl.constexpr, BOUND_MASK: tl.constexpr,
                    DOT_PRECISION: tl.constexpr):
    """Fold key blocks [lo, hi) into (acc, l_i, m_i). The masks are compile-time switches so the
    blocks that need none (most of them) pay nothing for them."""
    for start_n in range(lo, hi, BLOCK_N):
        start_n = tl.multiple_of(start_n, BLOCK_N)
        cols = start_n + offs_n  # (BLOCK_N,) global key positions
        if BOUND_MASK:
            k = tl.load(k_ptrs + start_n * stride_kn, mask=cols[None, :] < N_CTX, other=0.0)  # (D, BLOCK_N)
        else:
            k = tl.load(k_ptrs + start_n * stride_kn)
        qk = tl.dot(q, k, input_precision=DOT_PRECISION) * qk_scale  # (BLOCK_M, BLOCK_N), log2 domain
        if CAUSAL_MASK:
            qk = tl.where(offs_m[:, None] >= cols[None, :], qk, float("-inf"))
        if BOUND_MASK:
            # keys past N were loaded as zeros: without this they would score 0, not -inf
            qk = tl.where(cols[None, :] < N_CTX, qk, float("-inf"))
        m_ij = tl.maximum(m_i, tl.max(qk, 1))  # (BLOCK_M,) new running max
        p = tl.math.exp2(qk - m_ij[:, None])
        alpha = tl.math.exp2(m_i - m_ij)  # everything so far was relative to the old max
        l_i = l_i * alpha + tl.sum(p, 1)
        acc = acc * alpha[:, None]
        if BOUND_MASK:
            v = tl.load(v_ptrs + start_n * stride_vn, mask=cols[:, None] < N_CTX, other=0.0)  # (BLOCK_N, D)
        else:
            v = tl.load(v_ptrs + start_n * stride_vn)
        acc = tl.dot(p.to(v.dtype), v, acc, input_precision=DOT_PRECISION)  # (BLOCK_M, D)
        m_i = m_ij
    return acc, l_i, m_i


@triton.jit
def _attn_fwd(Q, K, V, Out, LSE, sm_scale, stride_z, stride_h, stride_n, H, N_CTX,
              HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, CAUSAL: tl.constexpr,
              DOT_PRECISION: tl.constexpr):
    """One program: BLOCK_M query rows of one (batch, head). q, k, v, out share the contiguous
    (B, H, N, D) strides; lse is (B, H, N)."""
    start_m = tl.program_id(0)
    off_hz = tl.program_id(1)
    off_z = off_hz // H
    off_h = off_hz % H
    base = off_z.to(tl.int64) * stride_z + off_h.to(tl.int64) * stride_h  # int64: B*H*N*D can pass 2^31

    offs_m = start_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, HEAD_DIM)
    q_ptrs = Q + base + offs_m[:, None] * stride_n + offs_d[None, :]  # (BLOCK_M, D)
    k_ptrs = K + base + offs_n[None, :] * stride_n + offs_d[:, None]  # (D, BLOCK_N): K^T
    v_ptrs = V + base + offs_n[:, None] * stride_n + offs_d[None, :]  # (BLOCK_N, D)
    row_ok = offs_m < N_CTX

    m_i = tl.full([BLOCK_M], float("-inf"), dtype=tl.float32)
    l_i = tl.zeros([BLOCK_M], dtype=tl.float32)
    acc = tl.zeros([BLOCK_M, HEAD_DIM], dtype=tl.float32)
    qk_scale = sm_scale * 1.4426950408889634  # log2(e): exp(x) = exp2(x log2 e), and exp2 is the native instruction
    q = tl.load(q_ptrs, mask=row_ok[:, None], other=0.0)

    if CAUSAL:
        # blocks strictly left of this query block: all visible, no mask (BLOCK_M % BLOCK_N == 0)
        acc, l_i, m_i = _attn_fwd_inner(acc, l_i, m_i, q, k_ptrs, v_ptrs, stride_n, stride_n, offs_m, offs_n,
                                        0, start_m * BLOCK_M, N_CTX, qk_scale,
                                        BLOCK_N, False, False, DOT_PRECISION)
        # blocks crossing the diagonal: causal mask, and bounds for the last one
        acc, l_i, m_i = _attn_fwd_inner(acc, l_i, m_i, q, k_ptrs, v_ptrs, stride_n, stride_n, offs_m, offs_n,
                                        start_m * BLOCK_M, (start_m + 1) * BLOCK_M, N_CTX, qk_scale,
                                        BLOCK_N, True, True, DOT_PRECISION)
    else:
        n_full = (N_CTX // BLOCK_N) * BLOCK_N
        acc, l_i, m_i = _attn_fwd_inner(acc, l_i, m_i, q, k_ptrs, v_ptrs, stride_n, stride_n, offs_m, offs_n,
                                        0, n_full, N_CTX, qk_scale, BLOCK_N, False, False, DOT_PRECISION)
        acc, l_i, m_i = _attn_fwd_inner(acc, l_i, m_i, q, k_ptrs, v_ptrs, stride_n, stride_n, offs_m, offs_n,
                                        n_full, N_CTX, N_CTX, qk_scale, BLOCK_N, False, True, DOT_PRECISION)

    acc = acc / l_i[:, None]  # the one normalisation, after the last key block
    tl.store(LSE + off_hz.to(tl.int64) * N_CTX + offs_m, m_i + tl.math.log2(l_i), mask=row_ok)
    o_ptrs = Out + base + offs_m[:, None] * stride_n + offs_d[None, :]
    tl.store(o_ptrs, acc.to(Out.dtype.element_ty), mask=row_ok[:, None])


# --- tuning, kept apart from the kernel --------------------------------------------------------

def _gpu_configs():
    return [triton.Config({"BLOCK_M": bm, "BLOCK_N": bn}, num_stages=s, num_warps=w)
            for bm in (64, 128) for bn in (32, 64, 128) for s in (3, 4) for w in (4, 8)]


def _keep(configs, named_args, **kwargs):
    head_dim = {**named_args, **kwargs}.get("HEAD_DIM", 128)
    # the causal split needs whole key blocks per query block; big tiles at D=128 spill registers
    return [c for c in configs if c.kwargs["BLOCK_M"] % c.kwargs["BLOCK_N"] == 0
            and c.kwargs["BLOCK_M"] * c.kwargs["BLOCK_N"] * head_dim <= 128 * 128 * 128] or configs[:1]


_attn_fwd_tuned = triton.autotune(_gpu_configs(), key=["N_CTX", "HEAD_DIM", "CAUSAL", "DOT_PRECISION"],
                                  prune_configs_by={"early_config_prune": _keep})(_attn_fwd)
INTERPRETER_BLOCKS = {"BLOCK_M": 32, "BLOCK_N": 16}  # the interpreter runs one program at a time: few, small


# --- host side ---------------------------------------------------------------------------------

def check_inputs(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> None:
    if not all(isinstance(t, torch.Tensor) for t in (q, k, v)):
        raise TypeError("q, k and v must be torch tensors")
    if q.dim() != 4 or q.shape != k.shape or q.shape != v.shape:
        raise ValueError(f"q, k, v must all be (B, H, N, D); got {tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}")
    if q.shape[-1] not in HEAD_DIMS:
        raise ValueError(f"head dim D={q.shape[-1]} is not supported; use one of {HEAD_DIMS}")
    if q.dtype not in DTYPES or k.dtype != q.dtype or v.dtype != q.dtype:
        raise ValueError(f"q, k, v must share one dtype of float16/bfloat16/float32; got {q.dtype}, {k.dtype}, {v.dtype}")
    if not (q.device == k.device == v.device):
        raise ValueError("q, k and v must be on one device")


def dot_precision(dtype: torch.dtype) -> str:
    # fp32 inputs must not be silently rounded to tf32 (10 mantissa bits) on the GPU
    return "ieee" if dtype == torch.float32 else "tf32"


def forward(q, k, v, causal: bool = False, sm_scale: float | None = None):
    """Run the kernel; returns (out (B, H, N, D), lse (B, H, N) float32, base 2, scaled)."""
    check_inputs(q, k, v)
    q, k, v = q.contiguous(), k.contiguous(), v.contiguous()  # one set of strides for all three
    B, H, N, D = q.shape
    sm_scale = 1.0 / math.sqrt(D) if sm_scale is None else float(sm_scale)
    out = torch.empty_like(q)
    lse = torch.empty((B, H, N), device=q.device, dtype=torch.float32)
    args = (q, k, v, out, lse, sm_scale, q.stride(0), q.stride(1), q.stride(2), H, N)
    meta = {"HEAD_DIM": D, "CAUSAL": bool(causal), "DOT_PRECISION": dot_precision(q.dtype)}
    if interpreting():
        grid = (triton.cdiv(N, INTERPRETER_BLOCKS["BLOCK_M"]), B * H)
        _attn_fwd[grid](*args, **meta, **INTERPRETER_BLOCKS)
    else:
        _attn_fwd_tuned[lambda m: (triton.cdiv(N, m["BLOCK_M"]), B * H)](*args, **meta)
    return out, lse


def flash_attention(q, k, v, causal: bool = False, sm_scale: float | None = None) -> torch.Tensor:
    """softmax(q k^T * sm_scale) v for q, k, v (B, H, N, D); never materialises (N, N)."""
    return forward(q, k, v, causal, sm_scale)[0]


__all__ = ["flash_attention"]
