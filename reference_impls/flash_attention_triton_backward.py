"""FlashAttention-2 backward pass as Triton kernels, wrapped in a torch.autograd.Function.

With S = Q K^T * sm_scale, P = softmax(S) (row-wise) and O = P V, for an upstream gradient dO:

    dV = P^T dO
    dP = dO V^T
    dS = P * (dP - D_i),   D_i = rowsum(dO * O)  (= rowsum(P * dP), cheaper: O is (N, D))
    dQ = dS K * sm_scale,  dK = dS^T Q * sm_scale

(Dao 2023, "FlashAttention-2", Algorithm 2.) P is never stored: it is recomputed tile by tile
from Q, K and the row log-sum-exp L the forward kernel saved, P = exp2(S * log2(e) - L). Two
kernels share the work without atomics: `_attn_bwd_dkdv` gives each program one key block and
walks over the query blocks (accumulating dK, dV in registers); `_attn_bwd_dq` gives each
program one query block and walks over the key blocks. `_attn_bwd_preprocess` computes D_i.
With `causal=True` each loop starts or stops at the diagonal block, so tiles entirely above
the diagonal are never visited; the mask itself is applied to every visited tile (a compare and
select, cheap next to the five matmuls per tile).

Shapes: q, k, v, out, dO and the gradients (B, H, N, D); lse, delta (B, H, N) float32.
"""
from __future__ import annotations

import math

import torch
import triton
import triton.language as tl

from tfprep.content.reference_impls.flash_attention_triton import dot_precision, forward, interpreting


@triton.jit
def _attn_bwd_preprocess(O, DO, Delta, stride_z, stride_h, stride_n, H, N_CTX,
                         HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr):
    off_m = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    off_hz = tl.program_id(1)
    base = (off_hz // H).to(tl.int64) * stride_z + (off_hz % H).to(tl.int64) * stride_h
    offs_d = tl.arange(0, HEAD_DIM)
    row_ok = off_m < N_CTX
    ptrs = base + off_m[:, None] * stride_n + offs_d[None, :]
    o = tl.load(O + ptrs, mask=row_ok[:, None], other=0.0).to(tl.float32)
    do = tl.load(DO + ptrs, mask=row_ok[:, None], other=0.0).to(tl.float32)
    tl.store(Delta + off_hz.to(tl.int64) * N_CTX + off_m, tl.sum(o * do, axis=1), mask=row_ok)


@triton.jit
def _attn_bwd_dkdv(Q, K, V, DO, DK, DV, LSE, Delta, sm_scale, stride_z, stride_h, stride_n, H, N_CTX,
                   HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, CAUSAL: tl.constexpr,
                   DOT_PRECISION: tl.constexpr):
    """One program: the BLOCK_N keys starting at start_n of one (batch, head); works in the
    transposed frame (keys as rows) so dK and dV accumulate as (BLOCK_N, D)."""
    start_n = tl.program_id(0) * BLOCK_N
    off_hz = tl.program_id(1)
    base = (off_hz // H).to(tl.int64) * stride_z + (off_hz % H).to(tl.int64) * stride_h
    row_base = off_hz.to(tl.int64) * N_CTX
    offs_n = start_n + tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, HEAD_DIM)
    key_ok = offs_n < N_CTX
    kv_ptrs = base + offs_n[:, None] * stride_n + offs_d[None, :]
    k = tl.load(K + kv_ptrs, mask=key_ok[:, None], other=0.0)  # (BLOCK_N, D)
    v = tl.load(V + kv_ptrs, mask=key_ok[:, None], other=0.0)
    dk = tl.zeros([BLOCK_N, HEAD_DIM], dtype=tl.float32)
    dv = tl.zeros([BLOCK_N, HEAD_DIM], dtype=tl.float32)
    qk_scale = sm_scale * 1.4426950408889634

    # causal: queries before this key block cannot see it
    lo = (start_n // BLOCK_M) * BLOCK_M if CAUSAL else 0
    for start_m in range(lo, N_CTX, BLOCK_M):
        offs_m = start_m + tl.arange(0, BLOCK_M)
        row_ok = offs_m < N_CTX
        qT = tl.load(Q + base + offs_m[None, :] * stride_n + offs_d[:, None], mask=row_ok[None, :], other=0.0)  # (D, BLOCK_M)
        do = tl.load(DO + base + offs_m[:, None] * stride_n + offs_d[None, :], mask=row_ok[:, None], other=0.0)  # (BLOCK_M, D)
        lse = tl.load(LSE + row_base + offs_m, mask=row_ok, other=0.0)
        Di = tl.load(Delta + row_base + offs_m, mask=row_ok, other=0.0)
        qkT = tl.dot(k, qT, input_precision=DOT_PRECISION)  # (BLOCK_N, BLOCK_M) = S^T / sm_scale
        pT = tl.math.exp2(qkT * qk_scale - lse[None, :])
        keep = row_ok[None, :] & key_ok[:, None]
        if CAUSAL:
            keep = keep & (offs_m[None, :] >= offs_n[:, None])
        pT = tl.where(keep, pT, 0.0)
        dv = tl.dot(pT.to(do.dtype), do, dv, input_precision=DOT_PRECISION)  # dV += P^T dO
        dpT = tl.dot(v, tl.trans(do), input_precision=DOT_PRECISION)  # (BLOCK_N, BLOCK_M) = dP^T
        dsT = pT * (dpT - Di[None, :])
        dk = tl.dot(dsT.to(qT.dtype), tl.trans(qT), dk, input_precision=DOT_PRECISION)  # dK += dS^T Q

    tl.store(DK + kv_ptrs, (dk * sm_scale).to(DK.dtype.element_ty), mask=key_ok[:, None])
    tl.store(DV + kv_ptrs, dv.to(DV.dtype.element_ty), mask=key_ok[:, None])


@triton.jit
def _attn_bwd_dq(Q, K, V, DO, DQ, LSE, Delta, sm_scale, stride_z, stride_h, stride_n, H, N_CTX,
                 HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, CAUSAL: tl.constexpr,
                 DOT_PRECISION: tl.constexpr):
    """One program: BLOCK_M query rows of one (batch, head); dQ accumulates as (BLOCK_M, D)."""
    start_m = tl.program_id(0) * BLOCK_M
    off_hz = tl.program_id(1)
    base = (off_hz // H).to(tl.int64) * stride_z + (off_hz % H).to(tl.int64) * stride_h
    row_base = off_hz.to(tl.int64) * N_CTX
    offs_m = start_m + tl.arange(0, BLOCK_M)
    offs_d = tl.arange(0, HEAD_DIM)
    row_ok = offs_m < N_CTX
    q_ptrs = base + offs_m[:, None] * stride_n + offs_d[None, :]
    q = tl.load(Q + q_ptrs, mask=row_ok[:, None], other=0.0)
    do = tl.load(DO + q_ptrs, mask=row_ok[:, None], other=0.0)
    lse = tl.load(LSE + row_base + offs_m, mask=row_ok, other=0.0)
    Di = tl.load(Delta + row_base + offs_m, mask=row_ok, other=0.0)
    dq = tl.zeros([BLOCK_M, HEAD_DIM], dtype=tl.float32)
    qk_scale = sm_scale * 1.4426950408889634

    hi = tl.minimum(start_m + BLOCK_M, N_CTX) if CAUSAL else N_CTX  # causal: keys after the block are unseen
    for start_n in range(0, hi, BLOCK_N):
        offs_n = start_n + tl.arange(0, BLOCK_N)
        key_ok = offs_n < N_CTX
        kT = tl.load(K + base + offs_n[None, :] * stride_n + offs_d[:, None], mask=key_ok[None, :], other=0.0)  # (D, BLOCK_N)
        vT = tl.load(V + base + offs_n[None, :] * stride_n + offs_d[:, None], mask=key_ok[None, :], other=0.0)
        qk = tl.dot(q, kT, input_precision=DOT_PRECISION)  # (BLOCK_M, BLOCK_N)
        p = tl.math.exp2(qk * qk_scale - lse[:, None])
        keep = row_ok[:, None] & key_ok[None, :]
        if CAUSAL:
            keep = keep & (offs_m[:, None] >= offs_n[None, :])
        p = tl.where(keep, p, 0.0)
        dp = tl.dot(do, vT, input_precision=DOT_PRECISION)  # (BLOCK_M, BLOCK_N)
        ds = p * (dp - Di[:, None])
        dq = tl.dot(ds.to(kT.dtype), tl.trans(kT), dq, input_precision=DOT_PRECISION)  # dQ += dS K

    tl.store(DQ + q_ptrs, (dq * sm_scale).to(DQ.dtype.element_ty), mask=row_ok[:, None])


# --- tuning, kept apart from the kernels -------------------------------------------------------

def _gpu_configs():
    return [triton.Config({"BLOCK_M": bm, "BLOCK_N": bn}, num_stages=s, num_warps=w)
            for bm, bn in ((32, 64), (64, 64), (64, 128), (128, 64), (32, 128)) for s in (2, 3) for w in (4, 8)]


_TUNE_KEY = ["N_CTX", "HEAD_DIM", "CAUSAL", "DOT_PRECISION"]
_dkdv_tuned = triton.autotune(_gpu_configs(), key=_TUNE_KEY)(_attn_bwd_dkdv)
_dq_tuned = triton.autotune(_gpu_configs(), key=_TUNE_KEY)(_attn_bwd_dq)
INTERPRETER_BLOCKS = {"BLOCK_M": 16, "BLOCK_N": 16}
PRE_BLOCK = 64


def backward(q, k, v, out, lse, do, causal: bool, sm_scale: float):
    """(dq, dk, dv) for contiguous q, k, v, out and the forward's lse."""
    do = do.contiguous()
    B, H, N, D = q.shape
    dq, dk, dv = torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)
    delta = torch.empty_like(lse)
    strides = (q.stride(0), q.stride(1), q.stride(2), H, N)
    _attn_bwd_preprocess[(triton.cdiv(N, PRE_BLOCK), B * H)](out, do, delta, *strides, HEAD_DIM=D, BLOCK_M=PRE_BLOCK)
    meta = {"HEAD_DIM": D, "CAUSAL": bool(causal), "DOT_PRECISION": dot_precision(q.dtype)}
    dkdv_args = (q, k, v, do, dk, dv, lse, delta, sm_scale, *strides)
    dq_args = (q, k, v, do, dq, lse, delta, sm_scale, *strides)
    if interpreting():
        bm, bn = INTERPRETER_BLOCKS["BLOCK_M"], INTERPRETER_BLOCKS["BLOCK_N"]
        _attn_bwd_dkdv[(triton.cdiv(N, bn), B * H)](*dkdv_args, **meta, **INTERPRETER_BLOCKS)
        _attn_bwd_dq[(triton.cdiv(N, bm), B * H)](*dq_args, **meta, **INTERPRETER_BLOCKS)
    else:
        _dkdv_tuned[lambda m: (triton.cdiv(N, m["BLOCK_N"]), B * H)](*dkdv_args, **meta)
        _dq_tuned[lambda m: (triton.cdiv(N, m["BLOCK_M"]), B * H)](*dq_args, **meta)
    return dq, dk, dv


class FlashAttention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, causal=False, sm_scale=None):
        sm_scale = 1.0 / math.sqrt(q.shape[-1]) if sm_scale is None else float(sm_scale)
        q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
        out, lse = forward(q, k, v, causal, sm_scale)
        ctx.save_for_backward(q, k, v, out, lse)
        ctx.causal, ctx.sm_scale = causal, sm_scale
        return out

    @staticmethod
    def backward(ctx, do):
        q, k, v, out, lse = ctx.saved_tensors
        dq, dk, dv = backward(q, k, v, out, lse, do, ctx.causal, ctx.sm_scale)
        return dq, dk, dv, None, None


def flash_attention(q, k, v, causal: bool = False, sm_scale: float | None = None) -> torch.Tensor:
    """Differentiable flash attention: out = softmax(q k^T * sm_scale) v, gradients by Triton."""
    return FlashAttention.apply(q, k, v, causal, sm_scale)


__all__ = ["FlashAttention", "flash_attention"]
