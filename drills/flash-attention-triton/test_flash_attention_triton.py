"""Hidden suite for the `flash-attention-triton` drill. Never copied into the learner's workspace.

On a CUDA GPU: every dtype and head dim at moderate N, peak memory at N = 16384, and speed
figures for the report. Without one (Triton's CPU interpreter): the same correctness checks on
small shapes, and a note that memory and speed need a GPU.
"""
from tfprep.grading import kernels as K  # first: chooses the GPU or Triton's interpreter

import functools
import math

import pytest
import torch
import torch.nn.functional as F

from tfprep.content.reference_impls.flash_attention_triton import flash_attention as reference
from tfprep.grading import checks as C

FN = "flash_attention"
LN2, LOG2E = math.log(2.0), 1.0 / math.log(2.0)
BLOCKS = (16, 32, 64, 128)  # the block sizes a kernel is likely to use; bug variants try each


# --- exact attention and its classic bugs, in float64 ------------------------------------------

def attention64(q, k, v, scale, allowed=None):
    """softmax(q k^T * scale) v with a boolean (N, N) mask of allowed keys; float64, on the CPU."""
    q, k, v = (x.detach().to("cpu", torch.float64) for x in (q, k, v))
    s = (q @ k.transpose(-1, -2)) * scale  # (B, H, N, N)
    if allowed is not None:
        s = s.masked_fill(~allowed, float("-inf"))
    return torch.softmax(s, dim=-1) @ v


def causal_allowed(n):
    return torch.ones(n, n, dtype=torch.bool).tril()


def block_diagonal_allowed(n, block_m):
    """Diagonal block not masked: query i sees every key of its own query block (and before)."""
    i = torch.arange(n)[:, None]
    return torch.arange(n)[None, :] < ((i // block_m) + 1) * block_m


def no_rescale(q, k, v, scale, causal, block_n, rescale_acc=False, rescale_l=True):
    """Online softmax that forgets to multiply `acc` (or `l`) by alpha = exp(m_old - m_new)."""
    q, k, v = (x.detach().to("cpu", torch.float64) for x in (q, k, v))
    n = q.shape[-2]
    m = torch.full(q.shape[:-1], float("-inf"), dtype=torch.float64)
    l = torch.zeros_like(m)
    acc = torch.zeros(q.shape[:-1] + (v.shape[-1],), dtype=torch.float64)
    for start in range(0, n, block_n):
        s = (q @ k[..., start:start + block_n, :].transpose(-1, -2)) * scale  # (B, H, N, block_n)
        if causal:
            s = s.masked_fill(torch.arange(start, start + s.shape[-1])[None, :] > torch.arange(n)[:, None],
                              float("-inf"))
        m_new = torch.maximum(m, s.amax(-1))
        p = torch.exp(s - m_new[..., None])
        alpha = torch.exp(m - m_new)
        l = (l * alpha if rescale_l else l) + p.sum(-1)
        acc = (acc * alpha[..., None] if rescale_acc else acc) + p @ v[..., start:start + block_n, :]
        m = m_new
    return acc / l[..., None]


def padded_keys(q, k, v, scale, block_n):
    """Keys past N loaded as zeros but never set to -inf: each scores 0 and adds exp(0 - m) to l."""
    n = k.shape[-2]
    pad = -n % block_n
    k0, v0 = (torch.cat([x.detach().cpu().double(), x.new_zeros(x.shape[:-2] + (pad, x.shape[-1])).cpu().double()], -2)
              for x in (k, v))
    return attention64(q, k0, v0, scale)


def strict_causal_allowed(n):
    return torch.ones(n, n, dtype=torch.bool).tril(-1)


def max_from_zero(q, k, v, scale, allowed):
    """Running max started at 0 instead of -inf, in float32: rows whose scores are all far below 0
    underflow to exp(s) = 0 and end as 0 / 0."""
    q, k, v = (x.detach().to("cpu", torch.float32) for x in (q, k, v))
    s = (q @ k.transpose(-1, -2)) * scale
    if allowed is not None:
        s = s.masked_fill(~allowed, float("-inf"))
    p = torch.exp(s - s.amax(-1, keepdim=True).clamp(min=0.0))
    return (p @ v) / p.sum(-1, keepdim=True)


NO_RESCALE = "accumulator not rescaled: acc must be multiplied by alpha = exp(m_old - m_new) when the max grows"
NO_L_RESCALE = "running sum not rescaled: l_i must be multiplied by alpha = exp(m_old - m_new) too"
DIAGONAL = "causal diagonal block not masked: queries see later keys of their own block"
EXP2_NO_LOG2E = "wrong softmax base: exp2 used without folding log2(e) into the scale"
EXP_WITH_LOG2E = "wrong softmax base: log2(e) folded into the scale but exp used instead of exp2"
NO_SCALE = "softmax scale missing: scores not multiplied by sm_scale"
SCALE_IGNORED = "sm_scale argument ignored: always 1/sqrt(D)"
KEYS_PAST_N = "out-of-bounds rows not masked: K/V rows past N enter the softmax as zero scores"
DIAGONAL_EXCLUDED = "causal mask excludes the diagonal (j < i instead of j <= i): query 0 sees no key"
MAX_FROM_ZERO = "running max initialised to 0 instead of -inf: rows of very negative scores become 0 / 0"
CAUSAL_IGNORED = "causal=True ignored: the kernel computes full (non-causal) attention"


def known_bugs(got, q, k, v, causal, scale):
    """Label -> a callable (evaluated only on failure) giving that bug's output. A bug whose output
    depends on the kernel's block size is tried at each of BLOCKS; the one nearest `got` stands."""
    n, d = q.shape[-2], q.shape[-1]
    allowed = causal_allowed(n) if causal else None
    nearest = functools.partial(K.nearest, got)
    bugs = {
        NO_RESCALE: lambda: nearest([no_rescale(q, k, v, scale, causal, bn) for bn in BLOCKS]),
        NO_L_RESCALE: lambda: nearest([no_rescale(q, k, v, scale, causal, bn, rescale_acc=True, rescale_l=False)
                                       for bn in BLOCKS]),
        EXP2_NO_LOG2E: lambda: K.to_np(attention64(q, k, v, scale * LN2, allowed)),
        EXP_WITH_LOG2E: lambda: K.to_np(attention64(q, k, v, scale * LOG2E, allowed)),
        NO_SCALE: lambda: K.to_np(attention64(q, k, v, 1.0, allowed)),
        MAX_FROM_ZERO: lambda: K.to_np(max_from_zero(q, k, v, scale, allowed)),
    }
    if scale != 1 / math.sqrt(d):
        bugs[SCALE_IGNORED] = lambda: K.to_np(attention64(q, k, v, 1 / math.sqrt(d), allowed))
    if causal:
        bugs[DIAGONAL] = lambda: nearest([attention64(q, k, v, scale, block_diagonal_allowed(n, bm)) for bm in BLOCKS])
        bugs[DIAGONAL_EXCLUDED] = lambda: K.to_np(attention64(q, k, v, scale, strict_causal_allowed(n)))
        # With BLOCK_M >= N an unmasked diagonal block is the whole matrix, so DIAGONAL's nearest
        # output equals this one and neither is named: only N > max(BLOCKS) separates them.
        bugs[CAUSAL_IGNORED] = lambda: K.to_np(attention64(q, k, v, scale))
    else:
        bugs[KEYS_PAST_N] = lambda: nearest([padded_keys(q, k, v, scale, bn) for bn in BLOCKS if n % bn])
    return bugs


# --- running a case ---------------------------------------------------------------------------

def run_case(sub, B, H, N, D, dtype, causal, seed, sm_scale=None, scale=1.0, q=None, k=None, v=None):
    if q is None:
        q, k, v = (K.randn(seed + i, B, H, N, D, dtype=dtype, scale=scale) for i in range(3))
    used_scale = 1 / math.sqrt(D) if sm_scale is None else sm_scale
    allowed = causal_allowed(N) if causal else None
    exact = attention64(q, k, v, used_scale, allowed)
    same = F.scaled_dot_product_attention(q, k, v, is_causal=causal, scale=used_scale)
    kwargs = {"causal": causal} if sm_scale is None else {"causal": causal, "sm_scale": sm_scale}
    out = K.launch(sub.fn(FN), K.copy_like(q), K.copy_like(k), K.copy_like(v), **kwargs)
    out = K.as_tensor(out, "out", same)
    bugs = known_bugs(K.to_np(out), q, k, v, causal, used_scale)
    case = f"q, k, v ({B}, {H}, {N}, {D}) {str(dtype)[6:]}, causal={causal}" + (
        f", sm_scale={sm_scale:g}" if sm_scale is not None else "")
    K.expect_accurate(out, exact, same, what="out", case=case, bugs=bugs)
    return out


# N not a multiple of any power-of-two block; several key blocks so the running max moves.
SHAPES = [(1, 2, 37, 16), (2, 1, 100, 32), (1, 2, 77, 64), (1, 1, 129, 128)]
if K.ON_GPU:
    SHAPES += [(2, 4, 1000, 64), (1, 2, 2049, 128)]


@K.every_dtype_and_mask(SHAPES)
def test_matches_sdpa(sub, shape, dtype, causal):
    """Output equals attention (as accurate as PyTorch's own result in that dtype)"""
    run_case(sub, *shape, dtype, causal, seed=sum(shape))


@pytest.mark.parametrize("causal", [False, True])
def test_sm_scale(sub, causal):
    """Honours an explicit sm_scale"""
    run_case(sub, 1, 2, 50, 32, torch.float32, causal, seed=7, sm_scale=0.3)


@pytest.mark.parametrize("causal", [False, True])
def test_hostile_magnitudes(sub, causal):
    """Scores in the hundreds, growing along the keys, stay finite and exact (float32)"""
    B, H, N, D = 1, 1, 96, 16
    q = K.randn(40, B, H, N, D) * 4.0
    k = K.randn(41, B, H, N, D) * 4.0 * torch.linspace(1.0, 4.0, N, device=K.DEVICE)[:, None]
    v = K.randn(42, B, H, N, D)
    run_case(sub, B, H, N, D, torch.float32, causal, seed=0, q=q, k=k, v=v)


@pytest.mark.parametrize("causal", [False, True])
def test_very_negative_scores(sub, causal):
    """Every score far below zero (about -150 and lower): no row may underflow to 0 / 0 (float32)"""
    B, H, N, D = 1, 2, 40, 16
    q = K.randn(45, B, H, N, D).abs() * 6.0 + 6.0
    k = -(K.randn(46, B, H, N, D).abs() * 6.0 + 6.0)  # q . k / 4 <= -16 * 36 / 4 for every pair
    v = K.randn(47, B, H, N, D)
    run_case(sub, B, H, N, D, torch.float32, causal, seed=0, q=q, k=k, v=v)


def test_mixed_layouts(sub):
    """q contiguous while k and v are views with other strides (each tensor has its own layout)"""
    B, H, N, D = 1, 2, 39, 32
    q = K.randn(55, B, H, N, D)
    k = K.randn(56, B, N, H, D).transpose(1, 2)  # (B, H, N, D), stride of N = H * D
    v = K.randn(57, B, N, 2, H, D)[:, :, 1].transpose(1, 2)  # from a packed (k, v) buffer
    run_case(sub, B, H, N, D, torch.float32, True, seed=0, q=q, k=k, v=v)


def test_single_row(sub):
    """N = 1 (one query, one key) and N smaller than any block"""
    run_case(sub, 2, 3, 1, 64, torch.float32, True, seed=50)
    run_case(sub, 1, 2, 5, 16, torch.float16, False, seed=51)


def test_non_contiguous_inputs(sub):
    """q, k, v as (B, N, H, D) tensors transposed to (B, H, N, D), as a fused QKV projection gives them"""
    B, H, N, D = 2, 3, 45, 32
    qkv = K.randn(60, B, N, 3, H, D)
    q, k, v = (qkv[:, :, i].transpose(1, 2) for i in range(3))  # (B, H, N, D) views, not contiguous
    run_case(sub, B, H, N, D, torch.float32, False, seed=0, q=q, k=k, v=v)


def test_future_keys_ignored(sub):
    """Causal: changing keys and values after position i leaves rows <= i unchanged"""
    B, H, N, D, i = 1, 2, 160, 16, 20  # N > every block in BLOCKS: an unmasked diagonal is not full attention
    q, k, v = (K.randn(70 + j, B, H, N, D) for j in range(3))
    fn = sub.fn(FN)
    out = K.as_tensor(K.launch(fn, q.clone(), k.clone(), v.clone(), causal=True), "out", q)
    if not torch.isfinite(out).all():
        strict = K.to_np(attention64(q, k, v, 1 / math.sqrt(D), strict_causal_allowed(N)))
        C.fail("with causal=True, `out` contains NaN/inf: does every query see at least itself (j <= i)?",
               C.matching_bug(K.to_np(out), {DIAGONAL_EXCLUDED: strict}, 1e-4, 1e-5))
    k2, v2 = k.clone(), v.clone()
    k2[:, :, i + 1:] += 3.0
    v2[:, :, i + 1:] -= 5.0
    out2 = K.as_tensor(K.launch(fn, q.clone(), k2, v2, causal=True), "out", q)
    changed = (out2[:, :, :i + 1] - out[:, :, :i + 1]).abs().max().item()
    if changed > 1e-6:
        scale, got = 1 / math.sqrt(D), K.to_np(out)
        leaks = {  # the two ways of seeing the future this suite knows, told apart by the first output
            DIAGONAL: lambda: K.nearest(got, [attention64(q, k, v, scale, block_diagonal_allowed(N, bm))
                                              for bm in BLOCKS]),
            CAUSAL_IGNORED: lambda: K.to_np(attention64(q, k, v, scale)),
        }
        exact = K.to_np(attention64(q, k, v, scale, causal_allowed(N)))
        bug, extra = C.diagnose(got, leaks, 1e-4, 1e-5, exact)
        C.fail(f"with causal=True, rows 0..{i} changed by up to {changed:.3g} when only keys and values after "
               f"position {i} changed: a query sees the future.{extra}", bug)


def test_inputs_unchanged(sub):
    """Leaves q, k and v unmodified"""
    q, k, v = (K.randn(80 + j, 1, 2, 33, 16) for j in range(3))
    copies = [x.clone() for x in (q, k, v)]
    K.launch(sub.fn(FN), q, k, v, causal=True)
    for name, x, c in zip("qkv", (q, k, v), copies):
        C.expect(torch.equal(x, c), f"`flash_attention` modified its input `{name}` in place.")


if not K.ON_GPU:
    C.note(K.NEEDS_GPU_NOTE)

if K.ON_GPU:
    MEM_SHAPE = (1, 4, 16384, 64)

    def test_no_nxn_buffer(sub):
        """N = 16384: peak GPU memory during the call shows no (N, N) buffer"""
        B, H, N, D = MEM_SHAPE
        q, k, v = (K.randn(90 + j, B, H, N, D, dtype=torch.float16) for j in range(3))
        fn = sub.fn(FN)
        K.launch(fn, q, k, v, causal=True)  # warm-up: compilation and autotuning allocate on their own
        peak = K.peak_gpu_bytes(lambda: fn(q, k, v, causal=True))
        one_nxn = N * N * 2  # a single (N, N) fp16 score matrix for one head
        budget = 4 * q.numel() * q.element_size() + 64 * 2**20  # output, a saved lse, workspace
        C.expect(peak <= budget,
                 f"peak GPU memory during the call was {C.fmt_bytes(peak)} at (B, H, N, D) = {MEM_SHAPE}; "
                 f"the budget is {C.fmt_bytes(budget)} and one (N, N) fp16 score matrix is {C.fmt_bytes(one_nxn)}. "
                 "Keep scores in on-chip tiles.")

    def test_speed_report(sub):
        """Speed at B=4, H=32, N=4096, D=64, fp16 (reported, not graded)"""
        B, H, N, D = 4, 32, 4096, 64
        q, k, v = (K.randn(95 + j, B, H, N, D, dtype=torch.float16) for j in range(3))
        fn = sub.fn(FN)
        for causal in (False, True):
            K.launch(fn, q, k, v, causal=causal)
            flops = 4 * B * H * N * N * D * (0.5 if causal else 1.0)
            ms = K.median_ms(lambda: fn(q, k, v, causal=causal))
            ref_ms = K.median_ms(lambda: reference(q, k, v, causal=causal))
            with torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.FLASH_ATTENTION):
                sdpa_ms = K.median_ms(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal))
            C.note(f"speed ({'causal' if causal else 'non-causal'}, B=4 H=32 N=4096 D=64 fp16): yours "
                   f"{flops / ms / 1e9:.0f} TFLOP/s; {sdpa_ms / ms:.2f}x SDPA's FLASH backend, "
                   f"{ref_ms / ms:.2f}x tfprep's reference kernel (higher is faster).")
