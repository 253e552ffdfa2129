"""Hidden suite for the `flash-attention-numpy` drill. Never copied into the learner's workspace."""
import numpy as np
import pytest

from tfprep.content.reference_impls.attention import scaled_dot_product_attention
from tfprep.content.reference_impls.flash_attention_numpy import flash_attention as reference
from tfprep.grading import checks as C

FN = "flash_attention"


# --- known bugs: a tiled forward pass with one classic mistake switched on ---------------------

def _tiled(q, k, v, block_size=64, causal=False, *, rescale_acc=True, rescale_l=True, normalise=True,
           running_max=True, causal_blocks="global"):
    """causal_blocks: "global" (right), "unmasked" (diagonal block not masked), "skip_diagonal",
    "local" (mask built from block-local indices on every visited block), "ignored"."""
    N, d = q.shape
    if causal_blocks == "ignored":
        causal = False
    out = np.empty((N, v.shape[-1]))
    for q0 in range(0, N, block_size):
        q_i = q[q0:q0 + block_size] / np.sqrt(d)
        B_r = q_i.shape[0]
        m_i, l_i, acc = np.full(B_r, -np.inf), np.zeros(B_r), np.zeros((B_r, v.shape[-1]))
        k_end = N
        if causal:
            k_end = q0 if causal_blocks == "skip_diagonal" else min(N, q0 + B_r)
        for k0 in range(0, k_end, block_size):
            s = q_i @ k[k0:k0 + block_size].T
            if causal and causal_blocks == "global":
                s = np.where(np.arange(k0, k0 + s.shape[1])[None, :] <= np.arange(q0, q0 + B_r)[:, None], s, -np.inf)
            elif causal and causal_blocks == "local":
                s = np.where(np.arange(s.shape[1])[None, :] <= np.arange(B_r)[:, None], s, -np.inf)
            m_new = np.maximum(m_i, s.max(axis=1)) if running_max else np.zeros(B_r)
            alpha = np.exp(m_i - m_new) if running_max else np.ones(B_r)
            p = np.exp(s - m_new[:, None])
            l_i = (alpha if rescale_l else 1.0) * l_i + p.sum(axis=1)
            acc = (alpha[:, None] if rescale_acc else 1.0) * acc + p @ v[k0:k0 + block_size]
            m_i = m_new
        out[q0:q0 + B_r] = acc / l_i[:, None] if normalise else acc
    return out


def bug_full_scores(q, k, v, block_size=64, causal=False):
    n = q.shape[0]
    mask = np.tril(np.ones((n, n), dtype=bool)) if causal else None  # (N, N)
    return scaled_dot_product_attention(q, k, v, mask)[0]  # right values, (N, N) scores


def _variant(**flags):
    def f(q, k, v, block_size=64, causal=False):
        with np.errstate(all="ignore"):
            return _tiled(q, k, v, block_size, causal, **flags)
    return f


FULL_SCORES = "full score matrix materialised"
DIAGONAL_UNMASKED = "causal blocks wrong: the diagonal block is not masked"
BUGS = {
    # Only the memory check can see this one: its values are right.
    FULL_SCORES: bug_full_scores,
    "running max rescale missing (acc and l not multiplied by exp(m_old - m_new))":
        _variant(rescale_acc=False, rescale_l=False),
    "running max rescale missing on acc (only l rescaled)": _variant(rescale_acc=False),
    "running max rescale missing on l (only acc rescaled)": _variant(rescale_l=False),
    "final normalisation missing (acc not divided by l)": _variant(normalise=False),
    DIAGONAL_UNMASKED: _variant(causal_blocks="unmasked"),
    "causal blocks wrong: the diagonal block is skipped": _variant(causal_blocks="skip_diagonal"),
    "causal blocks wrong: mask built from block-local indices": _variant(causal_blocks="local"),
    "causal ignored (every key visible)": _variant(causal_blocks="ignored"),
    "no running max (exp of raw scores overflows)": _variant(running_max=False),
}


def known_bugs(q, k, v, block_size, causal):
    """Lazily computed outputs of the bugs that change values, for the diagnosis."""
    skip = {FULL_SCORES}
    if q.shape[0] <= block_size:  # one block: an unmasked diagonal block is exactly "causal ignored"
        skip.add(DIAGONAL_UNMASKED)
    return {label: (lambda f=f: f(q, k, v, block_size, causal)) for label, f in BUGS.items() if label not in skip}


def make(seed, n, d, scale=1.5, dtype=np.float64):
    g = C.rng(seed)
    return tuple(C.randn(g, n, d, scale=scale, dtype=dtype) for _ in range(3))


def run_case(sub, q, k, v, block_size, causal, rtol=1e-4, atol=1e-5):
    q64, k64, v64 = (x.astype(np.float64) for x in (q, k, v))
    expected = reference(q64, k64, v64, block_size, causal)
    out = sub.fn(FN)(q, k, v, block_size=block_size, causal=causal)
    C.expect_close(out, expected, what="out", case=C.describe(q=q, k=k, v=v, block_size=block_size, causal=causal),
                   rtol=rtol, atol=atol, bugs=known_bugs(q64, k64, v64, block_size, causal))
    return out


# Block sizes that do not divide N, blocks larger than N, and N = 1 are all in here.
@pytest.mark.parametrize("seed,n,d,block_size", [(0, 10, 8, 4), (1, 100, 16, 16), (2, 37, 8, 64),
                                                 (3, 128, 32, 32), (4, 1, 8, 4)])
def test_matches_reference(sub, seed, n, d, block_size):
    """Output equals exact attention (non-causal, float64)"""
    run_case(sub, *make(seed, n, d), block_size, False)


@pytest.mark.parametrize("seed,n,d,block_size", [(5, 10, 8, 4), (6, 100, 16, 16), (7, 37, 8, 64),
                                                 (8, 65, 8, 8), (9, 23, 4, 5)])
def test_matches_reference_causal(sub, seed, n, d, block_size):
    """Output equals exact causal attention (float64)"""
    run_case(sub, *make(seed, n, d), block_size, True)


@pytest.mark.parametrize("causal", [False, True])
def test_matches_reference_float32(sub, causal):
    """Output matches the reference (float32 inputs)"""
    run_case(sub, *make(10, 50, 16, dtype=np.float32), 16, causal, rtol=2e-3, atol=2e-4)


def test_default_block_size(sub):
    """Works with the default block_size (several blocks, the last one partial)"""
    q, k, v = make(11, 150, 8)
    out = sub.fn(FN)(q, k, v)
    C.expect_close(out, reference(q, k, v), what="out", case=C.describe(q=q, k=k, v=v),
                   bugs=known_bugs(q, k, v, 64, False))


@pytest.mark.parametrize("causal", [False, True])
def test_hostile_magnitudes(sub, causal):
    """Scores around +-1000, growing across key blocks, stay finite and exact"""
    q, k, v = make(12, 40, 4, scale=1.0)
    k = k * np.linspace(1.0, 3.0, 40)[:, None]  # later keys score higher: the running max keeps moving
    run_case(sub, q * 25.0, k * 25.0, v, 8, causal)


def test_block_size_invariance(sub):
    """The result does not depend on the block size"""
    q, k, v = make(13, 60, 8)
    fn = sub.fn(FN)
    a = C.as_array(fn(q, k, v, block_size=7, causal=True), "out")
    C.expect(a.shape == v.shape, f"`out` has shape {a.shape}, expected {v.shape}.")
    # One block of 60 hides every tiling bug, so the diagnosis looks at the tiled (block 7) result.
    C.expect_close(a, fn(q, k, v, block_size=60, causal=True), what="out with block_size=7",
                   case="the same inputs as with block_size=60 (tiling must not change the result)",
                   bugs=known_bugs(q, k, v, 7, True))


def test_future_keys_ignored(sub):
    """Causal: changing keys and values after query i leaves rows <= i unchanged"""
    q, k, v = make(14, 30, 8)
    fn = sub.fn(FN)
    out = C.as_array(fn(q, k, v, block_size=8, causal=True), "out")
    C.expect(out.shape == v.shape, f"`out` has shape {out.shape}, expected {v.shape}.")
    i = 12
    k2, v2 = k.copy(), v.copy()
    k2[i + 1:] += 3.0
    v2[i + 1:] -= 5.0
    out2 = C.as_array(fn(q, k2, v2, block_size=8, causal=True), "out")
    C.expect(np.allclose(out2[:i + 1], out[:i + 1], rtol=1e-6, atol=1e-8, equal_nan=True),
             f"with causal=True, rows 0..{i} changed when only keys/values after position {i} changed.",
             C.matching_bug(out, known_bugs(q, k, v, 8, True), 1e-4, 1e-5))


def test_no_full_score_matrix(sub):
    """N = 4096, d = 64: exact, and peak memory far below one (N, N) float64 array"""
    n, d, block_size = 4096, 64, 128
    q, k, v = make(15, n, d, scale=1.0)
    expected = reference(q, k, v, block_size)
    fn = sub.fn(FN)
    with C.peak_memory() as mem:
        out = fn(q, k, v, block_size=block_size)  # the guarded call copies q, k, v inside the block
    full = n * n * 8
    # inputs (copied) + output + a generous allowance of (N, block_size) temporaries
    budget = 3 * n * d * 8 + n * d * 8 + 8 * n * block_size * 8
    C.expect(mem["peak"] <= budget,
             f"peak memory during the call was {C.fmt_bytes(mem['peak'])} for N={n}, d={d}, "
             f"block_size={block_size} (resident memory grew by {C.fmt_bytes(mem['rss'])}, measured as "
             f"{mem['how']}; tracemalloc saw {C.fmt_bytes(mem['traced'])}); "
             f"the budget is {C.fmt_bytes(budget)} (one (N, N) float64 array is "
             f"{C.fmt_bytes(full)}). Work one (block_size, block_size) tile of scores at a time.", FULL_SCORES)
    # No bug diagnosis here: each variant costs a tiled pass at N = 4096; the small cases name them.
    C.expect_close(out, expected, what="out", case=C.describe(q=q, k=k, v=v, block_size=block_size))
