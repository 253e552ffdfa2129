"""Hidden suite for the `attention` drill. Never copied into the learner's workspace."""
import numpy as np
import pytest

from reference_impls.attention import scaled_dot_product_attention as reference
from reference_impls.attention import softmax as ref_softmax
from tfprep.grading import checks as C

FN = "scaled_dot_product_attention"


# --- known bugs: what each classic mistake would return on the same inputs -----------------

def _masked(scores, mask):
    return scores if mask is None else np.where(mask, scores, -np.inf)


def bug_no_scale(q, k, v, mask=None):
    w = ref_softmax(_masked(q @ np.swapaxes(k, -1, -2), mask))
    return w @ v, w


def bug_sqrt_dv(q, k, v, mask=None):
    w = ref_softmax(_masked(q @ np.swapaxes(k, -1, -2) / np.sqrt(v.shape[-1]), mask))
    return w @ v, w


def bug_query_axis(q, k, v, mask=None):
    w = ref_softmax(_masked(q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]), mask), axis=-2)
    w = np.nan_to_num(w)
    return w @ v, w


def bug_mask_inverted(q, k, v, mask=None):
    return reference(q, k, v, None if mask is None else ~mask)


def bug_mask_after_softmax(q, k, v, mask=None):
    w = ref_softmax(q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]))
    if mask is not None:
        w = np.where(mask, w, 0.0)
    return w @ v, w


def bug_no_max_subtraction(q, k, v, mask=None):
    s = _masked(q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]), mask)
    with np.errstate(all="ignore"):
        e = np.exp(s)
        w = e / e.sum(-1, keepdims=True)
    return w @ v, w


BUGS = {
    "missing 1/sqrt(d_k) scaling": bug_no_scale,
    "scaled by sqrt(d_v) instead of sqrt(d_k)": bug_sqrt_dv,
    "softmax over the query axis instead of the key axis": bug_query_axis,
    "mask inverted (True must mean 'may attend')": bug_mask_inverted,
    "mask applied after the softmax without renormalising": bug_mask_after_softmax,
    "no max-subtraction in the softmax (overflow)": bug_no_max_subtraction,
}


def known_bugs(q, k, v, mask, index):
    """Lazily computed known-bug outputs (index 0 = out, 1 = weights) for the diagnosis."""
    return {label: (lambda f=f: f(q, k, v, mask)[index]) for label, f in BUGS.items()}


def run_case(sub, q, k, v, mask=None, rtol=1e-4, atol=1e-5):
    out_ref, w_ref = reference(q.astype(np.float64), k.astype(np.float64), v.astype(np.float64), mask)
    result = sub.fn(FN)(q, k, v, mask=mask)
    out, w = C.unpack(result, 2, FN)
    case = C.describe(q=q, k=k, v=v, mask=mask)
    C.expect_close(w, w_ref, what="weights", case=case, rtol=rtol, atol=atol, bugs=known_bugs(q, k, v, mask, 1))
    C.expect_close(out, out_ref, what="out", case=case, rtol=rtol, atol=atol, bugs=known_bugs(q, k, v, mask, 0))


def make(seed, batch, lq, lk, dk, dv, scale=1.0, dtype=np.float64):
    g = C.rng(seed)
    return (C.randn(g, *batch, lq, dk, scale=scale, dtype=dtype), C.randn(g, *batch, lk, dk, scale=scale, dtype=dtype),
            C.randn(g, *batch, lk, dv, scale=scale, dtype=dtype))


# Scale 3 makes scores large enough that a missing 1/sqrt(d_k) changes the weights a lot.
@pytest.mark.parametrize("seed,batch,lq,lk,dk,dv", [
    (0, (), 5, 5, 8, 8),
    (1, (2,), 7, 3, 16, 4),
    (2, (2, 3), 4, 9, 8, 12),
    (3, (1, 4), 1, 6, 32, 5),
])
def test_matches_reference_float64(sub, seed, batch, lq, lk, dk, dv):
    """Output and weights match the reference (float64)"""
    run_case(sub, *make(seed, batch, lq, lk, dk, dv, scale=3.0))


def test_matches_reference_float32(sub):
    """Output and weights match the reference (float32 inputs)"""
    run_case(sub, *make(4, (3,), 6, 10, 16, 8, scale=2.0, dtype=np.float32), rtol=2e-3, atol=2e-4)


@pytest.mark.parametrize("seed", [5, 6])
def test_mask(sub, seed):
    """A boolean mask (True = may attend) is respected, weights renormalised"""
    q, k, v = make(seed, (2,), 6, 8, 8, 8, scale=2.0)
    g = C.rng(100 + seed)
    mask = g.random((2, 6, 8)) < 0.5
    mask[..., 0] = True  # every row keeps at least one key
    run_case(sub, q, k, v, mask)


def test_broadcast_mask(sub):
    """A causal (Lq, Lk) mask broadcasts over batch and heads"""
    q, k, v = make(7, (2, 2), 5, 5, 8, 6, scale=2.0)
    run_case(sub, q, k, v, np.tril(np.ones((5, 5), dtype=bool)))


def test_weights_rows_sum_to_one(sub):
    """Each query's weights are a distribution over the keys"""
    q, k, v = make(8, (2,), 4, 7, 8, 8, scale=2.0)
    _, w = C.unpack(sub.fn(FN)(q, k, v), 2, FN)
    w = C.as_array(w, "weights")
    C.expect(w.shape == (2, 4, 7), f"weights has shape {w.shape}, expected (2, 4, 7).",
             C.matching_bug(w, known_bugs(q, k, v, None, 1), 1e-4, 1e-5))
    sums = w.sum(axis=-1)
    C.expect(np.allclose(sums, 1.0, atol=1e-6),
             f"rows of weights don't sum to 1 over the keys (sums range {sums.min():.3g}..{sums.max():.3g}): "
             "softmax over the wrong axis?", C.matching_bug(w, known_bugs(q, k, v, None, 1), 1e-4, 1e-5))


def test_hostile_magnitudes(sub):
    """Scores around +-1000 give finite, correct results (stable softmax)"""
    q, k, v = make(9, (2,), 4, 6, 4, 3, scale=1.0)
    q = q * 40.0  # scores of order 1000
    k = k * 40.0
    run_case(sub, q, k, v)


def test_key_permutation_invariance(sub):
    """Shuffling keys and values together leaves the output unchanged"""
    q, k, v = make(10, (2,), 3, 6, 8, 5, scale=2.0)
    perm = C.rng(11).permutation(6)
    fn = sub.fn(FN)
    out = C.as_array(C.unpack(fn(q, k, v), 2, FN)[0], "out")
    out_perm = C.unpack(fn(q, k[:, perm], v[:, perm]), 2, FN)[0]
    C.expect_close(out_perm, out, what="out with keys/values shuffled together",
                   case="the same keys and values in another order (attention is a set operation over keys)")
