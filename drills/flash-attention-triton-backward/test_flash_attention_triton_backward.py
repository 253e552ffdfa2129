"""Hidden suite for the `flash-attention-triton-backward` drill. Never copied into the workspace.

Gradients dq, dk, dv of the learner's autograd.Function are compared with float64 autograd
through PyTorch's attention, with the flash-attention project's rule: no worse than 2x the
error of PyTorch's own gradients in the same dtype. On a CUDA GPU bfloat16 and larger shapes
join, and the backward's speed is reported against SDPA's.
"""
from tfprep.grading import kernels as K  # first: chooses the GPU or Triton's interpreter

import math

import pytest
import torch
import torch.nn.functional as F

from tfprep.content.reference_impls.flash_attention_triton_backward import flash_attention as reference
from tfprep.grading import checks as C

FN = "flash_attention"
LN2, LOG2E = math.log(2.0), 1.0 / math.log(2.0)


# --- exact gradients and the classic backward bugs, in float64 ---------------------------------

def grads64(q, k, v, do, scale, causal, *, subtract_delta=True, scale_grads=True, mask_in_backward=True,
            p_from=None, default_scale=False):
    """(out, dq, dk, dv) by the FlashAttention backward equations, optionally with one bug.

    p_from: None for the true P, or a function (S, lse) -> P used in the backward recomputation.
    default_scale: the sm_scale argument ignored (1/sqrt(D) used throughout).
    """
    q, k, v, do = (x.detach().to("cpu", torch.float64) for x in (q, k, v, do))
    if default_scale:
        scale = 1 / math.sqrt(q.shape[-1])
    n = q.shape[-2]
    s = (q @ k.transpose(-1, -2)) * scale  # (B, H, N, N)
    future = torch.ones(n, n, dtype=torch.bool).triu(1)
    s_masked = s.masked_fill(future, float("-inf")) if causal else s
    lse = torch.logsumexp(s_masked, dim=-1, keepdim=True)  # (B, H, N, 1), what the forward saves
    o = torch.exp(s_masked - lse) @ v
    s_bwd = s_masked if mask_in_backward else s
    p = torch.exp(s_bwd - lse) if p_from is None else p_from(s_bwd, lse)  # recomputed P
    dv = p.transpose(-1, -2) @ do
    dp = do @ v.transpose(-1, -2)
    delta = (do * o).sum(-1, keepdim=True) if subtract_delta else 0.0
    ds = p * (dp - delta)
    g = scale if scale_grads else 1.0
    return o, ds @ k * g, ds.transpose(-1, -2) @ q * g, dv


NO_DELTA = "dS missing the D_i term: dS = P * (dP - rowsum(dO * O)), not P * dP"
NO_GRAD_SCALE = "sm_scale missing from dQ and dK (dS must be multiplied by the softmax scale)"
BWD_UNMASKED = "causal mask not applied when P is recomputed in the backward pass"
LSE_BASE = "log-sum-exp base mismatch: the forward saves it in one base (log2 or ln) and the backward uses the other"
SCALE_IGNORED = "sm_scale argument ignored: always 1/sqrt(D)"
BUG_VARIANTS = {
    SCALE_IGNORED: [dict(default_scale=True)],
    NO_DELTA: [dict(subtract_delta=False)],
    NO_GRAD_SCALE: [dict(scale_grads=False)],
    BWD_UNMASKED: [dict(mask_in_backward=False)],
    LSE_BASE: [dict(p_from=lambda s, lse: torch.exp(s - lse * LOG2E)),  # saved in base 2, used with exp
               dict(p_from=lambda s, lse: torch.exp(s - lse * LN2)),  # saved in base e, used with exp2
               dict(p_from=lambda s, lse: _mixed_base_p(s))],  # saved as m (base 2) + ln(l)
}


def _mixed_base_p(s):
    s2 = s * LOG2E  # the log2 domain a kernel using exp2 works in
    m2 = s2.amax(-1, keepdim=True)
    l = torch.exp2(s2 - m2).sum(-1, keepdim=True)
    return torch.exp2(s2 - m2 - torch.log(l))


def known_bugs(got, which, q, k, v, do, scale, causal):
    """Label -> callable giving the bug's gradient `which` (1 dq, 2 dk, 3 dv), nearest to `got`."""
    def entry(variants):
        return lambda: K.nearest(got, [grads64(q, k, v, do, scale, causal, **kw)[which] for kw in variants])
    skip = {BWD_UNMASKED} if not causal else set()
    if scale == 1 / math.sqrt(q.shape[-1]):
        skip.add(SCALE_IGNORED)
    return {label: entry(variants) for label, variants in BUG_VARIANTS.items() if label not in skip}


# --- running a case ---------------------------------------------------------------------------

def forward_backward(fn, q, k, v, do, causal, sm_scale=None, loss=None):
    """The learner's out and (dq, dk, dv), each call checked to run Triton kernels."""
    q, k, v = (K.copy_like(x.detach()).requires_grad_(True) for x in (q, k, v))
    kwargs = {"causal": causal} if sm_scale is None else {"causal": causal, "sm_scale": sm_scale}
    out = K.launch(fn, q, k, v, what="your forward", **kwargs)
    K.as_tensor(out, "out", q)
    C.expect(out.requires_grad and out.grad_fn is not None,
             "`out` does not require grad: return the output of your torch.autograd.Function (`.apply`).")
    target = out.sum() if loss == "sum" else out
    grads = K.launch(torch.autograd.grad, target, (q, k, v), None if loss == "sum" else do,
                     what="your backward")
    return out, grads


def run_case(sub, B, H, N, D, dtype, causal, seed, sm_scale=None, q=None, k=None, v=None, loss=None):
    if q is None:
        q, k, v = (K.randn(seed + i, B, H, N, D, dtype=dtype) for i in range(3))
    do = K.randn(seed + 3, B, H, N, D, dtype=dtype) if loss is None else torch.ones_like(q)
    scale = 1 / math.sqrt(D) if sm_scale is None else sm_scale
    exact = grads64(q, k, v, do, scale, causal)
    qs, ks, vs = (x.detach().clone().requires_grad_(True) for x in (q, k, v))
    same = torch.autograd.grad(F.scaled_dot_product_attention(qs, ks, vs, is_causal=causal, scale=scale),
                               (qs, ks, vs), do)  # PyTorch's own gradients in the input dtype
    out, grads = forward_backward(sub.fn(FN), q, k, v, do, causal, sm_scale, loss)
    case = f"q, k, v ({B}, {H}, {N}, {D}) {str(dtype)[6:]}, causal={causal}" + (
        f", sm_scale={sm_scale:g}" if sm_scale is not None else "")
    for which, name, got, ref in zip((1, 2, 3), ("dq", "dk", "dv"), grads, same):
        got = K.as_tensor(got, name, ref)
        K.expect_accurate(got, exact[which], ref, what=name, case=case,
                          bugs=known_bugs(K.to_np(got), which, q, k, v, do, scale, causal))
    return out


SHAPES = [(1, 2, 37, 16), (2, 1, 70, 32), (1, 1, 45, 64), (1, 1, 33, 128)]
if K.ON_GPU:
    SHAPES += [(2, 4, 1000, 64), (1, 2, 1537, 128)]


@K.every_dtype_and_mask(SHAPES)
def test_gradients_match(sub, shape, dtype, causal):
    """dq, dk, dv equal attention's gradients (as accurate as PyTorch's own in that dtype)"""
    run_case(sub, *shape, dtype, causal, seed=sum(shape))


@pytest.mark.parametrize("causal", [False, True])
def test_forward_output(sub, causal):
    """The forward output is still right (float32)"""
    B, H, N, D = 1, 2, 41, 32
    q, k, v, do = (K.randn(20 + i, B, H, N, D) for i in range(4))
    out, _ = forward_backward(sub.fn(FN), q, k, v, do, causal)
    scale = 1 / math.sqrt(D)
    same = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    K.expect_accurate(out, grads64(q, k, v, do, scale, causal)[0], same, what="out",
                      case=f"q, k, v ({B}, {H}, {N}, {D}) float32, causal={causal}")


@pytest.mark.parametrize("causal", [False, True])
def test_sm_scale(sub, causal):
    """Gradients honour an explicit sm_scale"""
    run_case(sub, 1, 2, 40, 16, torch.float32, causal, seed=30, sm_scale=0.3)  # the default would be 0.25


def test_sum_loss(sub):
    """loss = out.sum(): the incoming gradient is an expanded (stride-0) tensor"""
    run_case(sub, 1, 2, 29, 16, torch.float32, True, seed=40, loss="sum")


def test_non_contiguous_inputs(sub):
    """q, k, v as transposed (B, N, H, D) views, and q contiguous beside k, v views of other strides"""
    B, H, N, D = 1, 2, 36, 16
    qkv = K.randn(50, B, N, 3, H, D)
    q, k, v = (qkv[:, :, i].transpose(1, 2) for i in range(3))  # (B, H, N, D) views
    run_case(sub, B, H, N, D, torch.float32, False, seed=50, q=q, k=k, v=v)
    q = K.randn(51, B, H, N, D)
    k = K.randn(52, B, N, H, D).transpose(1, 2)
    v = K.randn(53, B, N, 2, H, D)[:, :, 1].transpose(1, 2)
    run_case(sub, B, H, N, D, torch.float32, True, seed=54, q=q, k=k, v=v)


if not K.ON_GPU:
    C.note(K.NEEDS_GPU_NOTE)

if K.ON_GPU:
    def test_speed_report(sub):
        """Backward speed at B=4, H=32, N=4096, D=64, fp16 (reported, not graded)"""
        B, H, N, D = 4, 32, 4096, 64
        fn = sub.fn(FN)
        q, k, v, do = (K.randn(60 + i, B, H, N, D, dtype=torch.float16) for i in range(4))
        q, k, v = (x.requires_grad_(True) for x in (q, k, v))
        for causal in (False, True):
            flops = 2.5 * 4 * B * H * N * N * D * (0.5 if causal else 1.0)

            def bwd_ms(f):
                out = f(q, k, v, causal)
                return K.median_ms(lambda: torch.autograd.grad(out, (q, k, v), do, retain_graph=True))

            ms, ref_ms = bwd_ms(fn), bwd_ms(reference)
            with torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.FLASH_ATTENTION):
                sdpa_ms = bwd_ms(lambda a, b, c, is_causal: F.scaled_dot_product_attention(a, b, c, is_causal=is_causal))
            C.note(f"backward speed ({'causal' if causal else 'non-causal'}, B=4 H=32 N=4096 D=64 fp16): yours "
                   f"{flops / ms / 1e9:.0f} TFLOP/s; {sdpa_ms / ms:.2f}x SDPA's FLASH backend, "
                   f"{ref_ms / ms:.2f}x tfprep's reference (higher is faster).")
