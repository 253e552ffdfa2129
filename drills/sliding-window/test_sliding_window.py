"""Hidden suite for the `sliding-window` drill. Never copied into the learner's workspace."""
import numpy as np
import pytest

from tfprep.content.reference_impls.attention import scaled_dot_product_attention
from tfprep.content.reference_impls.sliding_window import sliding_window_attention as reference
from tfprep.content.reference_impls.sliding_window import sliding_window_mask as reference_mask
from tfprep.grading import checks as C

MASK_FN = "sliding_window_mask"
ATTN_FN = "sliding_window_attention"


# --- known bugs: the mask each classic mistake builds ---------------------------------------

def _grid(t):
    return np.arange(t)[:, None], np.arange(t)[None, :]  # (T, 1) queries, (1, T) keys


def mask_one_too_many(t, window):
    i, j = _grid(t)
    return (j <= i) & (j >= i - window)  # window + 1 keys


def mask_one_too_few(t, window):
    i, j = _grid(t)
    return (j <= i) & (j > i - window + 1)  # window - 1 keys (none at all when window = 1)


def mask_symmetric_band(t, window):
    i, j = _grid(t)
    return np.abs(i - j) < window


def mask_no_upper_bound(t, window):
    i, j = _grid(t)
    return j > i - window


def mask_plain_causal(t, window):
    i, j = _grid(t)
    return j <= i


MASK_BUGS = {  # order matters: with window >= T the symmetric band is the no-upper-bound mask
    "window off by one (one key too many: i - window <= j)": mask_one_too_many,
    "window off by one (one key too few: the query sees window - 1 keys)": mask_one_too_few,
    "not causal (no j <= i bound: every later key is visible)": mask_no_upper_bound,
    "not causal (symmetric band |i - j| < window sees future keys)": mask_symmetric_band,
    "window ignored (plain causal attention)": mask_plain_causal,
}


def _attention_with(mask_fn):
    def attend(q, k, v, window):
        with np.errstate(all="ignore"):  # a query with no allowed key gives NaN, as the bug would
            return scaled_dot_product_attention(q, k, v, mask_fn(q.shape[-2], window))[0]
    return attend


BUGS = {label: _attention_with(f) for label, f in MASK_BUGS.items()}


def known_mask_bugs(t, window):
    return {label: (lambda f=f: f(t, window)) for label, f in MASK_BUGS.items()}


def known_bugs(q, k, v, window):
    """Lazily computed outputs of each known bug, for the diagnosis."""
    return {label: (lambda f=f: f(q, k, v, window)) for label, f in BUGS.items()}


def make(seed, batch, t, dk, dv, scale=2.0, dtype=np.float64):
    g = C.rng(seed)
    return (C.randn(g, *batch, t, dk, scale=scale, dtype=dtype), C.randn(g, *batch, t, dk, scale=scale, dtype=dtype),
            C.randn(g, *batch, t, dv, scale=scale, dtype=dtype))


def run_case(sub, q, k, v, window, rtol=1e-4, atol=1e-5):
    expected = reference(q.astype(np.float64), k.astype(np.float64), v.astype(np.float64), window)
    out = sub.fn(ATTN_FN)(q, k, v, window)
    C.expect_close(out, expected, what="out", case=C.describe(q=q, k=k, v=v, window=window),
                   rtol=rtol, atol=atol, bugs=known_bugs(q, k, v, window))


# --- the mask -------------------------------------------------------------------------------

@pytest.mark.parametrize("t,window", [(6, 3), (9, 4), (5, 1), (7, 7), (4, 10), (1, 1), (12, 5)])
def test_mask_matches_reference(sub, t, window):
    """The mask is True exactly where i - window < j <= i"""
    got = C.as_array(sub.fn(MASK_FN)(t, window), "mask")
    expected = reference_mask(t, window)
    C.expect(got.shape == expected.shape, f"the mask has shape {got.shape}, expected {expected.shape} "
             f"for seq_len={t}, window={window}.", C.matching_bug(got, known_mask_bugs(t, window), 0, 0))
    if not (got.astype(bool) == expected).all():
        bad = np.argwhere(got.astype(bool) != expected)[0]
        i, j = int(bad[0]), int(bad[1])
        fail_msg = (f"mask[{i}, {j}] is {bool(got[i, j])} for seq_len={t}, window={window}; expected "
                    f"{bool(expected[i, j])} (query i sees key j iff i - window < j <= i).")
        C.fail(fail_msg, C.matching_bug(got.astype(bool), known_mask_bugs(t, window), 0, 0))
    C.expect(got.dtype == bool, f"the mask has dtype {got.dtype}; expected bool (True = may attend).")


def test_mask_rows_see_window_keys(sub):
    """Query i sees min(i + 1, window) keys, ending at itself"""
    t, window = 10, 4
    got = C.as_array(sub.fn(MASK_FN)(t, window), "mask").astype(bool)
    C.expect(got.shape == (t, t), f"the mask has shape {got.shape}, expected {(t, t)}.")
    counts = got.sum(axis=1)
    expected = np.minimum(np.arange(t) + 1, window)
    bug = C.matching_bug(got, known_mask_bugs(t, window), 0, 0)
    C.expect((counts == expected).all(), f"rows of the mask allow {counts.tolist()} keys for window={window}; "
             f"expected {expected.tolist()}.", bug)
    C.expect(not np.triu(got, 1).any(), "the mask allows keys after the query (above the diagonal).", bug)


# --- the attention --------------------------------------------------------------------------

@pytest.mark.parametrize("seed,batch,t,dk,dv,window", [
    (0, (), 7, 8, 8, 3),
    (1, (2,), 9, 16, 4, 4),
    (2, (2, 3), 11, 8, 12, 2),
    (3, (1, 2), 6, 32, 5, 1),
    (4, (3,), 5, 8, 8, 9),
])
def test_matches_reference_float64(sub, seed, batch, t, dk, dv, window):
    """Output matches the reference (float64)"""
    run_case(sub, *make(seed, batch, t, dk, dv), window)


def test_matches_reference_float32(sub):
    """Output matches the reference (float32 inputs)"""
    run_case(sub, *make(5, (2,), 10, 16, 8, dtype=np.float32), 3, rtol=2e-3, atol=2e-4)


def test_hostile_magnitudes(sub):
    """Scores around +-1000 give finite, correct results (stable softmax)"""
    q, k, v = make(6, (2,), 8, 4, 3, scale=1.0)
    run_case(sub, q * 40.0, k * 40.0, v, 3)  # scores of order 1000


def _row(sub, q, k, v, window, i):
    out = C.as_array(sub.fn(ATTN_FN)(q, k, v, window), "out")
    C.expect(out.shape == v.shape, f"`out` has shape {out.shape}, expected {v.shape}.",
             C.matching_bug(out, known_bugs(q, k, v, window), 1e-4, 1e-5))
    return out, out[..., i, :]


def test_future_keys_ignored(sub):
    """Changing keys and values after query i leaves its output unchanged (causal)"""
    q, k, v = make(7, (2,), 9, 8, 6)
    window, i = 3, 4
    out, row = _row(sub, q, k, v, window, i)
    k2, v2 = k.copy(), v.copy()
    k2[:, i + 1:] += 5.0
    v2[:, i + 1:] -= 7.0
    _, row2 = _row(sub, q, k2, v2, window, i)
    C.expect(np.allclose(row2, row, rtol=1e-6, atol=1e-8),
             f"query {i}'s output changed when only keys/values after position {i} changed: "
             "future keys must be hidden (j <= i).", C.matching_bug(out, known_bugs(q, k, v, window), 1e-4, 1e-5))


def test_keys_before_window_ignored(sub):
    """Keys at or before i - window do not affect query i; key i - window + 1 does"""
    q, k, v = make(8, (2,), 10, 8, 6)
    window, i = 3, 7
    out, row = _row(sub, q, k, v, window, i)
    bug = C.matching_bug(out, known_bugs(q, k, v, window), 1e-4, 1e-5)
    old = i - window  # the most recent key that must already be outside the window
    k2, v2 = k.copy(), v.copy()
    k2[:, :old + 1] += 5.0
    v2[:, :old + 1] -= 7.0
    _, row2 = _row(sub, q, k2, v2, window, i)
    C.expect(np.allclose(row2, row, rtol=1e-6, atol=1e-8),
             f"query {i}'s output changed when only keys/values at positions <= {old} changed: with "
             f"window={window}, query {i} sees keys {old + 1}..{i} only.", bug)
    k3, v3 = k.copy(), v.copy()
    k3[:, old + 1] += 5.0
    v3[:, old + 1] -= 7.0
    _, row3 = _row(sub, q, k3, v3, window, i)
    C.expect(not np.allclose(row3, row, rtol=1e-6, atol=1e-8),
             f"query {i}'s output ignores key {old + 1}, the oldest key inside its window of {window}.", bug)


def test_large_window_is_causal_attention(sub):
    """With window >= T the result is plain causal attention"""
    q, k, v = make(9, (2,), 6, 8, 8)
    expected = scaled_dot_product_attention(q, k, v, np.tril(np.ones((6, 6), dtype=bool)))[0]
    out = sub.fn(ATTN_FN)(q, k, v, 6)
    C.expect_close(out, expected, what="out", case="window = T = 6 (every earlier key visible)",
                   bugs=known_bugs(q, k, v, 6))
