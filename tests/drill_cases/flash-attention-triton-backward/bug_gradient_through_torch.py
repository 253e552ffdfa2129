# expect-bug: not a Triton kernel: the host code computes the result
# Triton forward, but the gradient flows through a PyTorch attention graph built from
# elementwise ops; a Triton identity in the backward only copies the gradient.
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
        ds = p * (dp - di[:, None])  # DS1
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
        ds = p * (dp - di[:, None])  # DS2
        dq += tl.dot(ds.to(k.dtype), k)
    tl.store(DQ + qp, (dq * scale).to(DQ.dtype.element_ty), mask=rows[:, None] < N)  # SCALE2



def _forward(q, k, v, causal, scale):
    q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
    B, H, N, D = q.shape
    o = torch.empty_like(q)
    lse = torch.empty((B, H, N), device=q.device, dtype=torch.float32)
    _fwd[(triton.cdiv(N, BLOCK), B * H)](q, k, v, o, lse, scale, q.stride(0), q.stride(1), q.stride(2), H, N,
                                         D=D, BM=BLOCK, BN=BLOCK, CAUSAL=causal)
    return q, k, v, o, lse


@triton.jit
def _copyk(X, Y, n, BLK: tl.constexpr):
    offs = tl.program_id(0) * BLK + tl.arange(0, BLK)
    tl.store(Y + offs, tl.load(X + offs, mask=offs < n), mask=offs < n)


class _TritonIdentity(torch.autograd.Function):
    """Identity whose backward copies the gradient with a Triton kernel (so a launch is counted)."""
    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        g = g.contiguous()
        out = torch.empty_like(g)
        _copyk[(triton.cdiv(g.numel(), 1024),)](g, out, g.numel(), BLK=1024)
        return out


def flash_attention(q, k, v, causal=False, sm_scale=None):
    """No autograd.Function of its own. The value comes from the Triton forward; the gradient
    flows through a PyTorch attention built from elementwise ops (no aten.mm / softmax)."""
    scale = sm_scale if sm_scale is not None else 1.0 / math.sqrt(q.shape[-1])
    N = q.shape[-2]
    out_triton = _forward(q.detach(), k.detach(), v.detach(), causal, scale)[3]
    qd, kd, vd = q.double(), k.double(), v.double()
    s = (qd.unsqueeze(-2) * kd.unsqueeze(-3)).sum(-1) * scale
    if causal:
        s = s.masked_fill(torch.ones(N, N, dtype=torch.bool, device=q.device).triu(1), float("-inf"))
    e = torch.exp(s - s.amax(-1, keepdim=True).detach())
    p = e / e.sum(-1, keepdim=True)
    out_torch = (p.unsqueeze(-1) * vd.unsqueeze(-3)).sum(-2).to(q.dtype)
    out = out_triton + (out_torch - out_torch.detach())
    return _TritonIdentity.apply(out)
