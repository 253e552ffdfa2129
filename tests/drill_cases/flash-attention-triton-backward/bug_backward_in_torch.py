# expect-bug: not a Triton kernel: the host code computes the result
# A Triton forward, but the backward recomputes P with PyTorch matmuls and an (N, N) buffer.
import math

import torch
import triton
import triton.language as tl


@triton.jit
def _fwd(Q, K, V, O, scale, sz, sh, sn, H, N, D: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr,
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


class _Attention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, causal, scale):
        q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
        B, H, N, D = q.shape
        o = torch.empty_like(q)
        _fwd[(triton.cdiv(N, 16), B * H)](q, k, v, o, scale, q.stride(0), q.stride(1), q.stride(2), H, N,
                                          D=D, BM=16, BN=16, CAUSAL=causal)
        ctx.save_for_backward(q, k, v)
        ctx.causal, ctx.scale = causal, scale
        return o

    @staticmethod
    def backward(ctx, do):
        q, k, v = (t.float() for t in ctx.saved_tensors)
        s = q @ k.transpose(-1, -2) * ctx.scale
        if ctx.causal:
            n = q.shape[-2]
            s = s.masked_fill(torch.ones(n, n, dtype=torch.bool, device=q.device).triu(1), float("-inf"))
        p = torch.softmax(s, -1)
        do = do.float()
        dv = p.transpose(-1, -2) @ do
        dp = do @ v.transpose(-1, -2)
        ds = p * (dp - (dp * p).sum(-1, keepdim=True))
        dq, dk = ds @ k * ctx.scale, ds.transpose(-1, -2) @ q * ctx.scale
        dt = ctx.saved_tensors[0].dtype
        return dq.to(dt), dk.to(dt), dv.to(dt), None, None


def flash_attention(q, k, v, causal=False, sm_scale=None):
    scale = sm_scale if sm_scale is not None else 1.0 / math.sqrt(q.shape[-1])
    return _Attention.apply(q, k, v, causal, scale)
