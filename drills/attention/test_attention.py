"""Hidden suite for the `attention` drill. Never copied into the learner's workspace."""
import numpy as np
import pytest

from tfprep.content.reference_impls.attention import scaled_dot_product_attention as reference
from tfprep.content.reference_impls.attention import softmax as ref_softmax
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


def _softmax_then_mask(q, k, v, mask, fill):
    """Softmax over every key, then the masked entries of the weights overwritten by `fill`."""
    w = ref_softmax(q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]))
    if mask is not None:
        w = np.where(mask, w, fill)
    return w


# What learners write after the softmax: `w * mask`, `w[~mask] = 0`, `np.where(mask, w, -np.inf)`,
# `w + np.where(mask, 0, -1e9)`... The allowed entries are then the softmax over *all* keys,
# not renormalised; the masked ones hold whatever the learner wrote there.
MASK_FILLS = (0.0, -np.inf)


def bug_mask_after_softmax(q, k, v, mask=None, got=None):
    """Outputs for the usual fills; for the weights also one whose masked entries are the
    submission's own (any fill), so only the allowed entries are compared."""
    ws = [_softmax_then_mask(q, k, v, mask, fill) for fill in MASK_FILLS]
    with np.errstate(invalid="ignore", over="ignore"):
        outs = [w @ v for w in ws]
    if got is not None and mask is not None:
        try:
            w_own = _softmax_then_mask(q, k, v, mask, np.asarray(got, dtype=np.float64))
        except (TypeError, ValueError):  # not an array of the weights' shape: no such variant
            w_own = None
        if w_own is not None and w_own.shape == ws[0].shape:
            ws.append(w_own)
    return outs, ws


def bug_k_reshaped(q, k, v, mask=None):
    """`k.reshape(..., d_k, Lk)` in place of a transpose: same shape, keys and features mixed
    (when Lk == d_k the reshape does nothing and the scores are q @ k)."""
    k_t = k.reshape(*k.shape[:-2], k.shape[-1], k.shape[-2])
    w = ref_softmax(_masked(q @ k_t / np.sqrt(q.shape[-1]), mask))
    return w @ v, w


def bug_no_max_subtraction(q, k, v, mask=None):
    s = _masked(q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]), mask)
    with np.errstate(all="ignore"):
        e = np.exp(s)
        w = e / e.sum(-1, keepdims=True)
    return w @ v, w


def bug_k_T(q, k, v, mask=None):
    """`q @ k.T`: on a batched k, `.T` reverses every axis. numpy refuses the products unless
    batch == Lk == d_k (one batch dimension), where they run and give the right shapes."""
    w = ref_softmax(_masked(q @ k.T / np.sqrt(q.shape[-1]), mask))
    return w @ v, w


MASK_AFTER = "mask applied after the softmax without renormalising"
K_T = "`k.T` on batched input (it reverses every axis; swap only the last two)"
BUGS = {
    "missing 1/sqrt(d_k) scaling": bug_no_scale,
    "scaled by sqrt(d_v) instead of sqrt(d_k)": bug_sqrt_dv,
    "softmax over the query axis instead of the key axis": bug_query_axis,
    "mask inverted (True must mean 'may attend')": bug_mask_inverted,
    MASK_AFTER: bug_mask_after_softmax,
    "no max-subtraction in the softmax (overflow)": bug_no_max_subtraction,
    "k reshaped to (..., d_k, Lk) instead of transposed (keys and features mixed)": bug_k_reshaped,
    K_T: bug_k_T,
}


def known_bugs(q, k, v, mask, index, got=None):
    """Lazily computed known-bug outputs (index 0 = out, 1 = weights) for the diagnosis; `got`,
    the submission's value, picks the closest of a bug's variants."""
    def value(f):
        if f is bug_mask_after_softmax:
            return C.nearest(got, bug_mask_after_softmax(q, k, v, mask, got if index == 1 else None)[index])
        return f(q, k, v, mask)[index]
    return {label: (lambda f=f: value(f)) for label, f in BUGS.items()}


def nan_causes(mask):
    """What puts NaN/inf into attention, for the message when no known bug is named."""
    causes = ["exp overflowing, or every exp of a row underflowing to 0 / 0 "
              "(subtract the row max from the scores before np.exp)"]
    if mask is not None:
        causes.insert(0, "the mask applied after the softmax (set the masked *scores* to -np.inf "
                         "before the softmax, never the weights after it)")
        causes.append("the mask inverted (True means 'may attend'), which can leave a query row "
                      "with no key to normalise over")
    causes.append("an array that was never fully written (np.empty)")
    return "; ".join(causes)


def _transposes_every_axis(sub):
    """Whether the submission computes `q @ k.T`: on an input where batch == Lk == d_k numpy
    runs it, and the weights show it."""
    q, k, v = make(999, (4,), 3, 4, 4, 5, scale=2.0)
    try:
        w = C.unpack(sub.fn(FN)(q, k, v), 2, FN)[1]
    except C.CheckFailed:
        return False
    return C.matching_bug(w, {K_T: lambda: bug_k_T(q, k, v)[1]}, 1e-4, 1e-5) == K_T


def call(sub, q, k, v, mask=None):
    """One call of the submission; an error on batched input from `q @ k.T` is named."""
    try:
        return C.unpack(sub.fn(FN)(q, k, v, mask=mask), 2, FN)
    except C.CheckFailed as exc:
        if exc.bug is None and k.ndim > 2 and _transposes_every_axis(sub):
            C.fail(exc.message, K_T)
        raise


def run_case(sub, q, k, v, mask=None, rtol=1e-4, atol=1e-5):
    out_ref, w_ref = reference(q.astype(np.float64), k.astype(np.float64), v.astype(np.float64), mask)
    out, w = call(sub, q, k, v, mask)
    case = C.describe(q=q, k=k, v=v, mask=mask)
    for got, ref, what, index in ((w, w_ref, "weights", 1), (out, out_ref, "out", 0)):
        C.expect_close(got, ref, what=what, case=case, rtol=rtol, atol=atol, nan_causes=nan_causes(mask),
                       bugs=known_bugs(q, k, v, mask, index, got))


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
    (12, (3,), 4, 8, 8, 5),  # Lk == d_k: a reshape of k in place of a transpose raises nothing
    (13, (4,), 3, 4, 4, 5),  # batch == Lk == d_k: neither does `q @ k.T`
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
    _, w = call(sub, q, k, v)
    w = C.as_array(w, "weights")
    C.expect(w.shape == (2, 4, 7), f"weights has shape {w.shape}, expected (2, 4, 7).",
             C.matching_bug(w, known_bugs(q, k, v, None, 1, w), 1e-4, 1e-5))
    sums = w.sum(axis=-1)
    C.expect(np.allclose(sums, 1.0, atol=1e-6),
             f"rows of weights don't sum to 1 over the keys (sums range {sums.min():.3g}..{sums.max():.3g}): "
             "softmax over the wrong axis?", C.matching_bug(w, known_bugs(q, k, v, None, 1, w), 1e-4, 1e-5))


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
    out = C.as_array(call(sub, q, k, v)[0], "out")
    kp, vp = k[:, perm], v[:, perm]
    out_perm = call(sub, q, kp, vp)[0]
    C.expect_close(out_perm, out, what="out with keys/values shuffled together",
                   case="the same keys and values in another order (attention is a set operation over keys)",
                   bugs=known_bugs(q, kp, vp, None, 0, out_perm))
