# expect-bug: dS missing the D_i term: dS = P * (dP - rowsum(dO * O)), not P * dP
import math

import torch
import triton
import triton.language as tl

BLOCK = 16


@triton.jit
def _fwd(Q, K, V, O, L, scale, sz, sh, sn, H, N, D: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr,
         CAUSAL: tl.constexpr):
    pid = tl.program_id(0)
    base = (tl.program_id(1) // H) * sz + (tl.program_id(1) % H) * sh
    rows = pid * BM + tl.arange(0, BM)
    d = tl.arange(0, D)
    q = tl.load(Q + base + rows[:, None] * sn + d[None, :], mask=rows[:, None] < N, other=0.0)
    m = tl.full([BM], float("-inf"), tl.float32)
    l = tl.zeros([BM], tl.float32)
    acc = tl.zeros([BM, D], tl.float32)
    for start in range(0, N, BN):
        cols = start + tl.arange(0, BN)
        kt = tl.load(K + base + cols[None, :] * sn + d[:, None], mask=cols[None, :] < N, other=0.0)
        s = tl.dot(q, kt) * scale
        ok = cols[None, :] < N
        if CAUSAL:
            ok = ok & (cols[None, :] <= rows[:, None])
        s = tl.where(ok, s, float("-inf"))
        m_new = tl.maximum(m, tl.max(s, 1))
        p = tl.exp(s - m_new[:, None])
        a = tl.exp(m - m_new)
        vv = tl.load(V + base + cols[:, None] * sn + d[None, :], mask=cols[:, None] < N, other=0.0)
        acc = acc * a[:, None] + tl.dot(p.to(vv.dtype), vv)
        l = l * a + tl.sum(p, 1)
        m = m_new
    tl.store(O + base + rows[:, None] * sn + d[None, :], (acc / l[:, None]).to(O.dtype.element_ty), mask=rows[:, None] < N)
    tl.store(L + tl.program_id(1) * N + rows, m + tl.log(l), mask=rows < N)  # LSE


@triton.jit
def _delta(O, DO, Dl, sz, sh, sn, H, N, D: tl.constexpr, BM: tl.constexpr):
    rows = tl.program_id(0) * BM + tl.arange(0, BM)
    base = (tl.program_id(1) // H) * sz + (tl.program_id(1) % H) * sh
    d = tl.arange(0, D)
    ptr = base + rows[:, None] * sn + d[None, :]
    o = tl.load(O + ptr, mask=rows[:, None] < N, other=0.0).to(tl.float32)
    do = tl.load(DO + ptr, mask=rows[:, None] < N, other=0.0).to(tl.float32)
    tl.store(Dl + tl.program_id(1) * N + rows, tl.sum(o * do, 1), mask=rows < N)


@triton.jit
def _dkdv(Q, K, V, DO, DK, DV, L, Dl, scale, sz, sh, sn, H, N, D: tl.constexpr, BM: tl.constexpr,
          BN: tl.constexpr, CAUSAL: tl.constexpr):
    cols = tl.program_id(0) * BN + tl.arange(0, BN)
    base = (tl.program_id(1) // H) * sz + (tl.program_id(1) % H) * sh
    d = tl.arange(0, D)
    kv = base + cols[:, None] * sn + d[None, :]
    k = tl.load(K + kv, mask=cols[:, None] < N, other=0.0)
    v = tl.load(V + kv, mask=cols[:, None] < N, other=0.0)
    dk = tl.zeros([BN, D], tl.float32)
    dv = tl.zeros([BN, D], tl.float32)
    for start in range(0, N, BM):
        rows = start + tl.arange(0, BM)
        q = tl.load(Q + base + rows[:, None] * sn + d[None, :], mask=rows[:, None] < N, other=0.0)
        do = tl.load(DO + base + rows[:, None] * sn + d[None, :], mask=rows[:, None] < N, other=0.0)
        lse = tl.load(L + tl.program_id(1) * N + rows, mask=rows < N, other=0.0)
        di = tl.load(Dl + tl.program_id(1) * N + rows, mask=rows < N, other=0.0)
        s = tl.dot(q, tl.trans(k)) * scale  # (BM, BN)
        p = tl.exp(s - lse[:, None])  # PROBS
        ok = (rows[:, None] < N) & (cols[None, :] < N)
        if CAUSAL:
            ok = ok & (cols[None, :] <= rows[:, None])  # MASK1
        p = tl.where(ok, p, 0.0)
        dv += tl.dot(tl.trans(p).to(do.dtype), do)
        dp = tl.dot(do, tl.trans(v))
        ds = p * dp  # DS1
        dk += tl.dot(tl.trans(ds).to(q.dtype), q)
    tl.store(DK + kv, (dk * scale).to(DK.dtype.element_ty), mask=cols[:, None] < N)  # SCALE1
    tl.store(DV + kv, dv.to(DV.dtype.element_ty), mask=cols[:, None] < N)


@triton.jit
def _dq(Q, K, V, DO, DQ, L, Dl, scale, sz, sh, sn, H, N, D: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr,
        CAUSAL: tl.constexpr):
    rows = tl.program_id(0) * BM + tl.arange(0, BM)
    base = (tl.program_id(1) // H) * sz + (tl.program_id(1) % H) * sh
    d = tl.arange(0, D)
    qp = base + rows[:, None] * sn + d[None, :]
    q = tl.load(Q + qp, mask=rows[:, None] < N, other=0.0)
    do = tl.load(DO + qp, mask=rows[:, None] < N, other=0.0)
    lse = tl.load(L + tl.program_id(1) * N + rows, mask=rows < N, other=0.0)
    di = tl.load(Dl + tl.program_id(1) * N + rows, mask=rows < N, other=0.0)
    dq = tl.zeros([BM, D], tl.float32)
    for start in range(0, N, BN):
        cols = start + tl.arange(0, BN)
        k = tl.load(K + base + cols[:, None] * sn + d[None, :], mask=cols[:, None] < N, other=0.0)
        v = tl.load(V + base + cols[:, None] * sn + d[None, :], mask=cols[:, None] < N, other=0.0)
        s = tl.dot(q, tl.trans(k)) * scale
        p = tl.exp(s - lse[:, None])  # PROBS
        ok = (rows[:, None] < N) & (cols[None, :] < N)
        if CAUSAL:
            ok = ok & (cols[None, :] <= rows[:, None])  # MASK2
        p = tl.where(ok, p, 0.0)
        dp = tl.dot(do, tl.trans(v))
        ds = p * dp  # DS2
        dq += tl.dot(ds.to(k.dtype), k)
    tl.store(DQ + qp, (dq * scale).to(DQ.dtype.element_ty), mask=rows[:, None] < N)  # SCALE2


class _Attention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, causal, scale):
        q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
        B, H, N, D = q.shape
        o = torch.empty_like(q)
        lse = torch.empty((B, H, N), device=q.device, dtype=torch.float32)
        _fwd[(triton.cdiv(N, BLOCK), B * H)](q, k, v, o, lse, scale, q.stride(0), q.stride(1), q.stride(2), H, N,
                                             D=D, BM=BLOCK, BN=BLOCK, CAUSAL=causal)
        ctx.save_for_backward(q, k, v, o, lse)
        ctx.causal, ctx.scale = causal, scale
        return o

    @staticmethod
    def backward(ctx, do):
        q, k, v, o, lse = ctx.saved_tensors
        do = do.contiguous()
        B, H, N, D = q.shape
        st = (q.stride(0), q.stride(1), q.stride(2), H, N)
        delta = torch.empty_like(lse)
        _delta[(triton.cdiv(N, BLOCK), B * H)](o, do, delta, *st, D=D, BM=BLOCK)
        dq, dk, dv = torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)
        grid = (triton.cdiv(N, BLOCK), B * H)
        _dkdv[grid](q, k, v, do, dk, dv, lse, delta, ctx.scale, *st, D=D, BM=BLOCK, BN=BLOCK, CAUSAL=ctx.causal)
        _dq[grid](q, k, v, do, dq, lse, delta, ctx.scale, *st, D=D, BM=BLOCK, BN=BLOCK, CAUSAL=ctx.causal)
        return dq, dk, dv, None, None


def flash_attention(q, k, v, causal=False, sm_scale=None):
    scale = sm_scale if sm_scale is not None else 1.0 / math.sqrt(q.shape[-1])
    return _Attention.apply(q, k, v, causal, scale)
