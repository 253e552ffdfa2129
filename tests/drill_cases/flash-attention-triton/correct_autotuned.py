# A correct kernel autotuned over two configs: the interpreter runs the first valid one.
import math

import torch
import triton
import triton.language as tl


@triton.autotune(configs=[triton.Config({'BM': 32, 'BN': 32}, num_warps=4), triton.Config({'BM': 64, 'BN': 32}, num_warps=4)], key=['N', 'D'])
@triton.jit
def _fwd(Q, K, V, O, scale, sqz, sqh, sqn, skz, skh, skn, svz, svh, svn, soz, soh, son, H, N,
         D: tl.constexpr, BM: tl.constexpr, BN: tl.constexpr, CAUSAL: tl.constexpr):
    pid_m = tl.program_id(0)
    z = tl.program_id(1) // H
    h = tl.program_id(1) % H
    rows = pid_m * BM + tl.arange(0, BM)
    dims = tl.arange(0, D)
    q = tl.load(Q + z * sqz + h * sqh + rows[:, None] * sqn + dims[None, :], mask=rows[:, None] < N, other=0.0)
    m = tl.zeros([BM], dtype=tl.float32) - float("inf")
    l = tl.zeros([BM], dtype=tl.float32)
    acc = tl.zeros([BM, D], dtype=tl.float32)
    end = N
    if CAUSAL:
        end = tl.minimum((pid_m + 1) * BM, N)
    for start in range(0, end, BN):
        cols = start + tl.arange(0, BN)
        kt = tl.load(K + z * skz + h * skh + cols[None, :] * skn + dims[:, None], mask=cols[None, :] < N, other=0.0)
        s = tl.dot(q, kt).to(tl.float32) * scale
        ok = cols[None, :] < N
        if CAUSAL:
            ok = ok & (cols[None, :] <= rows[:, None])
        s = tl.where(ok, s, float("-inf"))
        m_new = tl.maximum(m, tl.max(s, axis=1))
        p = tl.exp(s - m_new[:, None])
        corr = tl.exp(m - m_new)
        vv = tl.load(V + z * svz + h * svh + cols[:, None] * svn + dims[None, :], mask=cols[:, None] < N, other=0.0)
        acc = acc * corr[:, None] + tl.dot(p.to(vv.dtype), vv)
        l = l * corr + tl.sum(p, axis=1)
        m = m_new
    out = acc / l[:, None]
    tl.store(O + z * soz + h * soh + rows[:, None] * son + dims[None, :], out.to(O.dtype.element_ty),
             mask=rows[:, None] < N)


def flash_attention(q, k, v, causal=False, sm_scale=None):
    B, H, N, D = q.shape
    scale = sm_scale if sm_scale is not None else 1.0 / math.sqrt(D)
    o = torch.empty(q.shape, dtype=q.dtype, device=q.device)
    grid = lambda meta: (triton.cdiv(N, meta['BM']), B * H)
    _fwd[grid](q, k, v, o, scale, q.stride(0), q.stride(1), q.stride(2), k.stride(0), k.stride(1), k.stride(2),
               v.stride(0), v.stride(1), v.stride(2), o.stride(0), o.stride(1), o.stride(2), H, N,
               D=D, CAUSAL=causal)
    return o
