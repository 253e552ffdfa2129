"""Hidden suite for the `causal-mask` drill. Never copied into the learner's workspace."""
import numpy as np
import pytest

from tfprep.content.reference_impls.attention import scaled_dot_product_attention
from tfprep.content.reference_impls.causal_mask import causal_mask as reference
from tfprep.grading import checks as C

FN = "causal_mask"


# --- known bugs: what each classic mistake would return on the same inputs -----------------

def _ones(lq, lk):
    return np.ones((lq, lq if lk is None else lk), dtype=bool)


def _offset(lq, lk):
    return (lq if lk is None else lk) - lq


def bug_inverted(lq, lk=None):
    return ~reference(lq, lk)


def bug_strict(lq, lk=None):
    return np.tril(_ones(lq, lk), k=_offset(lq, lk) - 1)


def bug_top_left(lq, lk=None):
    return np.tril(_ones(lq, lk))


def bug_offset_sign(lq, lk=None):
    return np.tril(_ones(lq, lk), k=-_offset(lq, lk))


def bug_upper(lq, lk=None):
    return np.triu(_ones(lq, lk), k=_offset(lq, lk))


def bug_lk_ignored(lq, lk=None):
    return reference(lq, lq)


def bug_additive(lq, lk=None):
    return np.where(reference(lq, lk), 0.0, -np.inf)


BUGS = {
    "mask inverted (True must mean 'may attend')": bug_inverted,
    "strict < in the mask (diagonal hidden)": bug_strict,
    "top-left alignment (j <= i) instead of bottom-right (j <= i + lk - lq)": bug_top_left,
    "alignment offset with the wrong sign (lq - lk instead of lk - lq)": bug_offset_sign,
    "upper triangle: queries see the future instead of the past": bug_upper,
    "lk ignored (returned an lq x lq mask)": bug_lk_ignored,
    "additive 0/-inf mask returned instead of a bool mask": bug_additive,
}


def known_bugs(lq, lk):
    return {label: (lambda f=f: f(lq, lk)) for label, f in BUGS.items()}


def call(sub, lq, lk):
    fn = sub.fn(FN)
    return fn(lq) if lk is None else fn(lq, lk)


def run_case(sub, lq, lk):
    got = call(sub, lq, lk)
    case = f"causal_mask({lq})" if lk is None else f"causal_mask({lq}, {lk})"
    arr = C.as_array(got, "mask")
    odd = arr[~np.isin(arr, (0, 1))]
    if odd.size:
        C.fail(f"{case} holds values other than True/False (e.g. {float(odd.flat[0])}); expected a bool mask, "
               "True = may attend.", C.matching_bug(arr, known_bugs(lq, lk), 0, 0))
    C.expect_close(got, reference(lq, lk), what="mask", case=case, rtol=0, atol=0, bugs=known_bugs(lq, lk))
    return C.as_array(got, "mask")


# Offsets lk - lq of -1 and +1 are avoided where they would make two bugs look alike
# (with lk = lq + 1, "strict <" and "top-left" give the same mask; at 1 x 1 "strict <" and
# "inverted" do).
@pytest.mark.parametrize("lq,lk", [(3, 3), (6, 6), (7, None)])
def test_square(sub, lq, lk):
    """Square mask (lk == lq, and lk defaulting to lq): lower triangle with the diagonal"""
    run_case(sub, lq, lk)


@pytest.mark.parametrize("lq,lk", [(3, 7), (4, 9), (1, 5), (2, 4)])
def test_more_keys_than_queries(sub, lq, lk):
    """lk > lq (decoding with a cache): bottom-right aligned, the last query sees every key"""
    run_case(sub, lq, lk)


@pytest.mark.parametrize("lq,lk", [(7, 3), (9, 4), (5, 1)])
def test_fewer_keys_than_queries(sub, lq, lk):
    """lk < lq: bottom-right aligned, the first lq - lk queries see no key"""
    run_case(sub, lq, lk)


def test_dtype_bool(sub):
    """The mask has dtype bool (so `~mask` and `np.where(mask, ...)` behave)"""
    got = call(sub, 5, 8)
    arr = C.as_array(got, "mask")
    C.expect(arr.dtype == np.bool_,
             f"the mask has dtype {arr.dtype}; expected bool (True = may attend). With an integer mask, "
             "`~mask` gives -1/-2 instead of False/True.", C.matching_bug(arr, known_bugs(5, 8), 0, 0))


def test_visible_key_counts(sub):
    """Query i sees exactly min(lk, max(0, i + lk - lq + 1)) keys, always a prefix of the keys"""
    for lq, lk in [(4, 10), (8, 8), (10, 4)]:
        arr = C.as_array(call(sub, lq, lk), "mask")
        bug = C.matching_bug(arr, known_bugs(lq, lk), 0, 0)
        C.expect(arr.shape == (lq, lk), f"causal_mask({lq}, {lk}) has shape {arr.shape}, expected ({lq}, {lk}).", bug)
        m = arr.astype(bool)
        want = np.clip(np.arange(lq) + lk - lq + 1, 0, lk)
        counts = m.sum(axis=1)
        bad = int(np.argmax(counts != want))
        C.expect(np.array_equal(counts, want),
                 f"causal_mask({lq}, {lk}): query {bad} sees {counts[bad]} key(s), expected {want[bad]} "
                 f"(keys 0..{want[bad] - 1}).", bug)
        prefix = np.array([not row[c:].any() for row, c in zip(m, counts)])
        C.expect(prefix.all(), f"causal_mask({lq}, {lk}): query {int(np.argmin(prefix))} sees a later key "
                 "while an earlier one is hidden; each query must see a prefix of the keys.", bug)


def test_no_information_from_the_future(sub):
    """Used in attention, the mask stops later tokens from changing earlier outputs"""
    T = 6
    g = C.rng(0)
    q, k, v = (C.randn(g, T, 8, scale=2.0) for _ in range(3))
    mask = call(sub, T, T)
    arr = C.as_array(mask, "mask")
    bug = C.matching_bug(arr, known_bugs(T, T), 0, 0)
    C.expect(arr.shape == (T, T), f"causal_mask({T}) has shape {arr.shape}, expected ({T}, {T}).", bug)
    C.expect(arr.dtype == np.bool_ or np.isin(arr, (0, 1)).all(),
             f"causal_mask({T}) holds values other than True/False.", bug)
    m = arr.astype(bool)
    C.expect(m.any(axis=1).all(), f"with causal_mask({T}) some query sees no key at all.", bug)
    out, _ = scaled_dot_product_attention(q, k, v, m)
    for t in range(1, T):
        k2, v2 = k.copy(), v.copy()
        k2[t:] += 5.0  # change every token from position t on
        v2[t:] -= 5.0
        out2, _ = scaled_dot_product_attention(q, k2, v2, m)
        C.expect(np.allclose(out[:t], out2[:t]),
                 f"changing tokens {t}..{T - 1} changed the attention output at an earlier position: "
                 "information flows from the future.", bug)
        C.expect(not np.allclose(out[t], out2[t]),
                 f"changing token {t} did not change its own output: a query must see its own key.", bug)
