"""Hidden suite for the `linear-attention` drill. Never copied into the learner's workspace."""
import numpy as np
import pytest

from tfprep.content.reference_impls.linear_attention import elu_feature_map as phi
from tfprep.content.reference_impls.linear_attention import linear_attention as reference
from tfprep.grading import checks as C

FN = "linear_attention"


# --- known bugs: what each classic mistake would return on the same inputs ------------------
# Written as the (small) quadratic form W = phi(q) phi(k)^T so each variant is one line.

def _softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _quadratic(q, k, v, causal, feature=phi, offset=0, normalise=True, eps=0.0, empty_row=np.nan):
    """Row i of the kernel weights sees keys j <= i + offset when causal; a row that sees no key
    gives `empty_row` (NaN is what 0 / 0 gives)."""
    w = feature(q) @ np.swapaxes(feature(k), -1, -2)  # (..., T, S)
    if causal:
        t, s = w.shape[-2:]
        w = np.where(np.arange(s)[None, :] <= np.arange(t)[:, None] + offset, w, 0.0)
    num = w @ v  # (..., T, d_v)
    if not normalise:
        return num
    den = w.sum(axis=-1, keepdims=True) + eps
    with np.errstate(all="ignore"):
        out = num / den
    if empty_row is not np.nan:
        out = np.where(den == 0, empty_row, out)
    return out


def bug_quadratic(q, k, v, causal=False):
    return _quadratic(q, k, v, causal)  # right values, an (N, N) matrix on the way


def bug_exclusive_prefix(q, k, v, causal=False, got=None):
    if not causal:
        return None
    return C.nearest(got, [_quadratic(q, k, v, True, offset=-1), _quadratic(q, k, v, True, offset=-1, empty_row=0.0)])


def bug_prefix_ahead(q, k, v, causal=False):
    return _quadratic(q, k, v, True, offset=1) if causal else None


def bug_causal_ignored(q, k, v, causal=False):
    return reference(q, k, v, causal=False) if causal else None


def bug_elu_without_one(q, k, v, causal=False):
    elu = lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))  # noqa: E731
    return _quadratic(q, k, v, causal, feature=elu)


def bug_no_normaliser(q, k, v, causal=False):
    return _quadratic(q, k, v, causal, normalise=False)


EPSILONS = (1e-4, 1e-5, 1e-6, 1e-8)


def bug_epsilon(q, k, v, causal=False, got=None):
    return C.nearest(got, [_quadratic(q, k, v, causal, eps=e) for e in EPSILONS])


def bug_scaled_q(q, k, v, causal=False):
    return _quadratic(q / np.sqrt(q.shape[-1]), k, v, causal)


def bug_softmax_attention(q, k, v, causal=False):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if causal:
        s = np.where(np.tril(np.ones(s.shape[-2:], dtype=bool)), s, -np.inf)
    return _softmax(s) @ v


QUADRATIC = "quadratic implementation (an (N, N) matrix of scores built)"
ELU_WITHOUT_ONE = "feature map elu(x) without the + 1 (weights can be negative)"
BUGS = {
    "causal prefix off by one: query i does not see its own key (exclusive prefix sum)": bug_exclusive_prefix,
    "causal prefix off by one: query i also sees key i+1": bug_prefix_ahead,
    "causal=True ignored (every key visible)": bug_causal_ignored,
    ELU_WITHOUT_ONE: bug_elu_without_one,
    "normaliser missing (phi(q) S not divided by phi(q) . z)": bug_no_normaliser,
    "epsilon added to the normaliser (the statement says none)": bug_epsilon,
    "q scaled by 1/sqrt(d) (linear attention has no such scale)": bug_scaled_q,
    "softmax attention computed instead of the elu(x) + 1 kernel": bug_softmax_attention,
}


def known_bugs(q, k, v, causal, got=None, skip=()):
    """Lazily computed outputs of the bugs that change values, for the diagnosis."""
    def value(f):
        if f in (bug_exclusive_prefix, bug_epsilon):
            return f(q, k, v, causal, got=got)
        return f(q, k, v, causal)
    return {label: (lambda f=f: value(f)) for label, f in BUGS.items() if label not in skip}


def make(seed, batch, t, s, d, d_v, scale=1.0, dtype=np.float64):
    g = C.rng(seed)
    return (C.randn(g, *batch, t, d, scale=scale, dtype=dtype), C.randn(g, *batch, s, d, scale=scale, dtype=dtype),
            C.randn(g, *batch, s, d_v, scale=2.0, dtype=dtype))


def run_case(sub, q, k, v, causal, rtol=1e-4, atol=1e-5, skip=()):
    q64, k64, v64 = (x.astype(np.float64) for x in (q, k, v))
    expected = reference(q64, k64, v64, causal=causal)
    out = sub.fn(FN)(q, k, v, causal=causal)
    C.expect_close(out, expected, what="out", case=C.describe(q=q, k=k, v=v, causal=causal), rtol=rtol, atol=atol,
                   bugs=known_bugs(q64, k64, v64, causal, got=out, skip=skip))
    return C.as_array(out, "out")


# Batch dims, T != S (non-causal), d_v != d, a single query, a single key.
@pytest.mark.parametrize("seed,batch,t,s,d,d_v", [(0, (), 6, 6, 4, 4), (1, (2,), 9, 13, 8, 5),
                                                  (2, (2, 3), 7, 7, 16, 3), (3, (), 1, 5, 4, 2),
                                                  (4, (3,), 4, 1, 6, 6)])
def test_matches_reference(sub, seed, batch, t, s, d, d_v):
    """Non-causal output matches the reference (float64, batch dims, T != S, d_v != d)"""
    run_case(sub, *make(seed, batch, t, s, d, d_v), False)


@pytest.mark.parametrize("seed,batch,n,d,d_v", [(5, (), 8, 4, 4), (6, (2,), 13, 8, 5), (7, (2, 3), 10, 6, 7),
                                                (8, (), 1, 3, 2)])
def test_matches_reference_causal(sub, seed, batch, n, d, d_v):
    """Causal output matches the reference (float64, batch dims, N = 1 included)"""
    run_case(sub, *make(seed, batch, n, n, d, d_v), True)


@pytest.mark.parametrize("causal", [False, True])
def test_matches_reference_float32(sub, causal):
    """Output matches the reference on float32 inputs"""
    run_case(sub, *make(9, (2,), 24, 24, 8, 8, dtype=np.float32), causal, rtol=2e-3, atol=2e-4)


def test_default_is_not_causal(sub):
    """causal defaults to False: every query sees every key"""
    q, k, v = make(10, (), 7, 7, 4, 3)
    out = sub.fn(FN)(q, k, v)
    C.expect_close(out, reference(q, k, v), what="linear_attention(q, k, v)", case=C.describe(q=q, k=k, v=v),
                   bugs=known_bugs(q, k, v, False, got=out))


@pytest.mark.parametrize("causal", [False, True])
def test_tiny_normaliser(sub, causal):
    """Very negative q and k (phi(x) = exp(x) ~ 1e-5): the normaliser is tiny and no epsilon may swamp it"""
    q, k, v = make(11, (2,), 9, 9, 6, 4, scale=0.5)
    # Here elu(x) is about -1 everywhere, so elu without the + 1 gives near-uniform weights, as does
    # any feature map that is constant for x < 0 (relu(x) + 1): not evidence of that bug.
    run_case(sub, q - 10.0, k - 10.0, v, causal, skip=(ELU_WITHOUT_ONE,))


def test_future_keys_ignored(sub):
    """Causal: changing keys and values after position i leaves rows 0..i unchanged"""
    q, k, v = make(12, (), 16, 16, 4, 3)
    fn = sub.fn(FN)
    out = C.as_array(fn(q, k, v, causal=True), "out")
    C.expect(out.shape == v.shape, f"`out` has shape {out.shape}, expected {v.shape}.")
    i = 6
    k2, v2 = k.copy(), v.copy()
    k2[i + 1:] += 2.0
    v2[i + 1:] -= 5.0
    out2 = C.as_array(fn(q, k2, v2, causal=True), "out")
    C.expect(np.allclose(out2[:i + 1], out[:i + 1], rtol=1e-6, atol=1e-8, equal_nan=True),
             f"with causal=True, rows 0..{i} changed when only keys/values after position {i} changed: "
             f"query i may use the running sums up to key i and no further.",
             C.matching_bug(out, known_bugs(q, k, v, True, got=out), 1e-4, 1e-5))


@pytest.mark.parametrize("causal", [False, True])
def test_output_is_weighted_average_of_values(sub, causal):
    """Each output is a weighted average of the values it sees (phi > 0: weights positive, summing to 1)"""
    q, k, v = make(13, (), 12, 12, 4, 3, scale=1.5)
    out = C.as_array(sub.fn(FN)(q, k, v, causal=causal), "out")
    C.expect(out.shape == v.shape, f"`out` has shape {out.shape}, expected {v.shape}.")
    visible = np.tril(np.ones((12, 12), dtype=bool)) if causal else np.ones((12, 12), dtype=bool)
    lo = np.where(visible[:, :, None], v[None, :, :], np.inf).min(axis=1)  # (T, d_v)
    hi = np.where(visible[:, :, None], v[None, :, :], -np.inf).max(axis=1)
    inside = np.isfinite(out) & (out >= lo - 1e-9) & (out <= hi + 1e-9)
    if not inside.all():
        i, j = (int(x) for x in np.argwhere(~inside)[0])
        C.fail(f"out[{i}, {j}] = {out[i, j]:.6g} lies outside [{lo[i, j]:.6g}, {hi[i, j]:.6g}], the range of "
               f"v[:, {j}] over the keys query {i} sees: with phi(x) = elu(x) + 1 > 0 every weight is positive "
               "and the normaliser makes them sum to 1.",
               C.matching_bug(out, known_bugs(q, k, v, causal, got=out), 1e-4, 1e-5))


@pytest.mark.parametrize("causal", [False, True])
def test_linear_memory(sub, causal):
    """N = 4096, d = 16, d_v = 8: exact, and peak memory far below one (N, N) float64 array"""
    n, d, d_v = 4096, 16, 8
    q, k, v = make(14, (), n, n, d, d_v)
    expected = reference(q, k, v, causal=causal)
    fn = sub.fn(FN)
    with C.peak_memory() as mem:
        out = fn(q, k, v, causal=causal)  # the guarded call copies q, k, v inside the block
    full = n * n * 8
    # inputs (copied) + output + phi(q), phi(k) and a generous allowance of (N, d, d_v) prefix states
    budget = (2 * n * d + 2 * n * d_v) * 8 + 4 * n * d * 8 + 8 * n * d * d_v * 8
    C.expect(mem["peak"] <= budget,
             f"peak memory during the call was {C.fmt_bytes(mem['peak'])} for N={n}, d={d}, d_v={d_v}, "
             f"causal={causal} (resident memory grew by {C.fmt_bytes(mem['rss'])}, measured as {mem['how']}; "
             f"tracemalloc saw {C.fmt_bytes(mem['traced'])}); the budget is {C.fmt_bytes(budget)} (one (N, N) "
             f"float64 array is {C.fmt_bytes(full)}). Sum phi(k_j) v_j^T over the keys (a running sum when "
             "causal) instead of forming phi(q) phi(k)^T.",
             QUADRATIC if mem["peak"] >= full // 2 else None)  # named when an (N, N) float32 or wider fits
    # No bug diagnosis here: the small cases name the value bugs.
    C.expect_close(out, expected, what="out", case=C.describe(q=q, k=k, v=v, causal=causal))
