"""Hidden suite for the `attention-entropy` drill. Never copied into the learner's workspace."""
import math

import numpy as np
import pytest

from tfprep.content.reference_impls.attention import softmax as ref_softmax
from tfprep.content.reference_impls.attention_entropy import attention_entropy as reference
from tfprep.grading import checks as C

FN = "attention_entropy"


# --- known bugs: what each classic mistake would return on the same inputs -----------------

def _f64(w):
    return np.asarray(w, dtype=np.float64)


def bug_nan_on_zeros(w):
    with np.errstate(all="ignore"):
        w = _f64(w)
        return -np.sum(w * np.log(w), axis=-1)


def bug_log2(w):
    return reference(_f64(w)) / math.log(2.0)


def bug_log10(w):
    return reference(_f64(w)) / math.log(10.0)


def bug_query_axis(w):
    w = _f64(w)
    return None if w.ndim < 2 else reference(np.swapaxes(w, -1, -2))


def bug_sign(w):
    return -reference(_f64(w))


def bug_mean_over_keys(w):
    w = _f64(w)
    return reference(w) / w.shape[-1]


def bug_normalised(w):
    w = _f64(w)
    return reference(w) / math.log(w.shape[-1]) if w.shape[-1] > 1 else None


def bug_averaged_over_queries(w, got=None):
    h = reference(_f64(w))
    return C.nearest(got, [np.float64(h.mean()), h.mean(axis=-1)])


def bug_softmax_again(w):
    return reference(ref_softmax(_f64(w)))


NAN_ON_ZEROS = "NaN on zero weights: 0 * log 0 must count as 0 (masked keys contribute nothing)"
LOG2 = "log base 2 (bits) instead of the natural log (nats)"
WRONG_AXIS = "entropy over the wrong axis (sum over the keys, the last axis: one value per query)"
BUGS = {
    NAN_ON_ZEROS: bug_nan_on_zeros,
    LOG2: bug_log2,
    "log base 10 instead of the natural log": bug_log10,
    WRONG_AXIS: bug_query_axis,
    "sign flipped (entropy is -sum w log w, never negative)": bug_sign,
    "mean over the keys instead of the sum": bug_mean_over_keys,
    "divided by log(number of keys) (normalised entropy; the drill asks for nats)": bug_normalised,
    "averaged over the queries (one entropy per query is expected)": bug_averaged_over_queries,
    "softmax applied to the weights again (they are already probabilities)": bug_softmax_again,
}


def known_bugs(w, got=None):
    def value(f):
        return f(w, got) if f is bug_averaged_over_queries else f(w)
    return {label: (lambda f=f: value(f)) for label, f in BUGS.items()}


NAN_CAUSES = ("log of an exact 0 weight (a masked key or an underflowed softmax): 0 * log 0 is NaN in NumPy, "
              "and must count as 0 here")


def run_case(sub, w, rtol=1e-4, atol=1e-5, expected=None, case=None):
    if expected is None:
        expected = reference(_f64(w))
    got = sub.fn(FN)(w)
    C.expect_close(got, expected, what=f"{FN}(weights)", case=case or C.describe(weights=w), rtol=rtol, atol=atol,
                   bugs=known_bugs(w, got), nan_causes=NAN_CAUSES)
    return C.as_array(got, f"{FN}(weights)")


def softmax_weights(seed, *shape, scale=2.0, mask=None, dtype=np.float64):
    """Attention weights softmax(scores) (..., T, S); masked keys (mask False) get exactly 0."""
    scores = C.randn(C.rng(seed), *shape, scale=scale)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    return ref_softmax(scores).astype(dtype)


# --- checks ----------------------------------------------------------------------------------

def test_worked_example(sub):
    """The statement's example: weights [0.5, 0.25, 0.25, 0] give 1.5 ln 2 = 1.0397 nats"""
    w = np.array([[0.5, 0.25, 0.25, 0.0]])
    run_case(sub, w, expected=np.array([1.5 * math.log(2.0)]),
             case="the worked example of the statement (one query, the last key masked)")


# Scale 2 gives rows far from uniform and far from one-hot, so every bug changes the values.
@pytest.mark.parametrize("seed,shape", [
    (0, (5, 7)),  # T != S: entropy over the wrong axis has another shape
    (1, (6, 6)),  # T == S: ... and here the same shape
    (2, (2, 3, 4, 9)),  # (B, H, T, S)
    (3, (3, 1, 5)),  # a single query per head
    (4, (2, 11, 4)),
])
def test_matches_reference(sub, seed, shape):
    """One entropy per query matches the reference (float64; (T, S), (B, H, T, S), T != S)"""
    run_case(sub, softmax_weights(seed, *shape))


def test_float32(sub):
    """Entropies of float32 weights match the reference"""
    run_case(sub, softmax_weights(5, 3, 6, 10, dtype=np.float32), rtol=2e-3, atol=2e-4)


def test_uniform_is_log_keys(sub):
    """Uniform attention over 7 keys gives ln 7 = 1.9459 for every query"""
    w = np.full((2, 4, 7), 1.0 / 7.0)
    run_case(sub, w, expected=np.full((2, 4), math.log(7.0)),
             case="uniform weights 1/7 over S = 7 keys (answer: ln 7 nats)")


def test_one_hot_is_zero(sub):
    """A query that puts all its weight on one key has entropy 0 (the other weights are exact zeros)"""
    w = np.zeros((3, 5, 6))
    keys = C.rng(6).integers(0, 6, size=(3, 5))
    np.put_along_axis(w, keys[..., None], 1.0, axis=-1)
    run_case(sub, w, expected=np.zeros((3, 5)), case="one-hot weights (each query attends to one key)")


def test_masked_weights(sub):
    """Weights with exact zeros from a random mask give finite, correct entropies"""
    g = C.rng(7)
    mask = g.random((2, 6, 8)) < 0.5
    mask[..., 0] = True  # every query keeps a key
    run_case(sub, softmax_weights(8, 2, 6, 8, mask=mask), case="softmax weights with masked keys (exact zeros)")


def test_causal_uniform_is_log_position(sub):
    """Causal uniform attention (query i spreads 1/(i+1) over keys 0..i) gives ln(i+1)"""
    T = 6
    w = np.tril(np.ones((T, T))) / np.arange(1, T + 1)[:, None]
    run_case(sub, np.broadcast_to(w, (2, T, T)).copy(), expected=np.broadcast_to(np.log(np.arange(1, T + 1)), (2, T)),
             case="causal uniform weights, T = S = 6 (answer: ln(i + 1) for query i)")


def test_causal_softmax_bounded(sub):
    """Causal softmax weights: correct values, 0 for the first query, at most ln(i+1) for query i"""
    T = 7
    w = softmax_weights(9, 2, 3, T, T, mask=np.tril(np.ones((T, T), dtype=bool)))
    h = run_case(sub, w, case="causal softmax weights (B, H, T, T)")
    bound = np.log(np.arange(1, T + 1))
    C.expect(np.all(h <= bound + 1e-9) and np.all(h >= -1e-12),
             "an entropy lies outside [0, ln(number of visible keys)]: query i sees i + 1 keys.")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hostile_scores(sub, dtype):
    """Weights from scores around +-1000 (mostly exact zeros, near one-hot) give finite, correct entropies"""
    w = softmax_weights(10, 4, 5, 9, scale=1000.0, dtype=dtype)
    tol = (1e-4, 1e-5) if dtype == np.float64 else (2e-3, 2e-4)
    run_case(sub, w, *tol, case=C.describe(weights=w) + ", the softmax of scores of order 1000")


def test_key_permutation_invariance(sub):
    """Shuffling the keys of every row leaves the entropies unchanged"""
    w = softmax_weights(11, 3, 5, 8)
    perm = C.rng(12).permutation(8)
    run_case(sub, w[..., perm], expected=reference(w), case="the same weights with the keys in another order")
