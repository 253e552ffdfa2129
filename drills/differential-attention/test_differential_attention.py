"""Hidden suite for the `differential-attention` drill. Never copied into the learner's workspace."""
import numpy as np
import pytest

from tfprep.content.reference_impls.differential_attention import differential_attention as reference
from tfprep.content.reference_impls.differential_attention import softmax as ref_softmax
from tfprep.grading import checks as C

FN = "differential_attention"


# --- known bugs: what each classic mistake would return on the same inputs ------------------

def _scores(q, k, scale):
    return q @ np.swapaxes(k, -1, -2) * scale


def _diff(q1, k1, q2, k2, v, lam, *, scale=None, axis=-1, combine=lambda a1, a2, lam: a1 - lam * a2,
          stable=True):
    scale = 1.0 / np.sqrt(q1.shape[-1]) if scale is None else scale
    with np.errstate(all="ignore"):
        if stable:
            a1, a2 = ref_softmax(_scores(q1, k1, scale), axis), ref_softmax(_scores(q2, k2, scale), axis)
        else:
            e1, e2 = np.exp(_scores(q1, k1, scale)), np.exp(_scores(q2, k2, scale))
            a1, a2 = e1 / e1.sum(axis, keepdims=True), e2 / e2.sum(axis, keepdims=True)
        return combine(a1, a2, lam) @ v


def bug_subtract_before_softmax(q1, k1, q2, k2, v, lam):
    scale = 1.0 / np.sqrt(q1.shape[-1])
    return ref_softmax(_scores(q1, k1, scale) - lam * _scores(q2, k2, scale)) @ v


def bug_sqrt_2d(q1, k1, q2, k2, v, lam):
    return _diff(q1, k1, q2, k2, v, lam, scale=1.0 / np.sqrt(2 * q1.shape[-1]))


def bug_no_scale(q1, k1, q2, k2, v, lam):
    return _diff(q1, k1, q2, k2, v, lam, scale=1.0)


def bug_sqrt_dv(q1, k1, q2, k2, v, lam):
    return _diff(q1, k1, q2, k2, v, lam, scale=1.0 / np.sqrt(v.shape[-1]))


def bug_query_axis(q1, k1, q2, k2, v, lam):
    return _diff(q1, k1, q2, k2, v, lam, axis=-2)


def bug_lam_ignored(q1, k1, q2, k2, v, lam):
    return _diff(q1, k1, q2, k2, v, lam, combine=lambda a1, a2, lam: a1 - a2)


def bug_maps_swapped(q1, k1, q2, k2, v, lam):
    return _diff(q1, k1, q2, k2, v, lam, combine=lambda a1, a2, lam: a2 - lam * a1)


def bug_added(q1, k1, q2, k2, v, lam):
    return _diff(q1, k1, q2, k2, v, lam, combine=lambda a1, a2, lam: a1 + lam * a2)


def bug_pairs_crossed(q1, k1, q2, k2, v, lam):
    return _diff(q1, k2, q2, k1, v, lam)


def bug_no_max_subtraction(q1, k1, q2, k2, v, lam):
    return _diff(q1, k1, q2, k2, v, lam, stable=False)


SUBTRACT_BEFORE = "the two score maps subtracted before the softmax (each map must be a softmax first)"
QUERY_AXIS = "softmax over the query axis instead of the key axis"
BUGS = {
    SUBTRACT_BEFORE: bug_subtract_before_softmax,
    "scaled by 1/sqrt(2d) (d is the width of one half: q1.shape[-1])": bug_sqrt_2d,
    "missing 1/sqrt(d) scaling": bug_no_scale,
    "scaled by sqrt(d_v) instead of sqrt(d)": bug_sqrt_dv,
    QUERY_AXIS: bug_query_axis,
    "lam ignored ((A1 - A2) v)": bug_lam_ignored,
    "the two maps swapped ((A2 - lam A1) v)": bug_maps_swapped,
    "the maps added instead of subtracted ((A1 + lam A2) v)": bug_added,
    "queries paired with the wrong keys (q1 with k2, q2 with k1)": bug_pairs_crossed,
    "no max-subtraction in the softmax (overflow)": bug_no_max_subtraction,
}


def known_bugs(*args):
    """Lazily computed outputs of the known bugs on the same inputs, for the diagnosis."""
    return {label: (lambda f=f: f(*args)) for label, f in BUGS.items()}


def make(seed, batch, t, s, d, d_v, scale=2.0, dtype=np.float64):
    g = C.rng(seed)
    q1, q2 = (C.randn(g, *batch, t, d, scale=scale, dtype=dtype) for _ in range(2))
    k1, k2 = (C.randn(g, *batch, s, d, scale=scale, dtype=dtype) for _ in range(2))
    return q1, k1, q2, k2, C.randn(g, *batch, s, d_v, scale=2.0, dtype=dtype)


def describe(q1, k1, q2, k2, v, lam):
    return C.describe(q1=q1, k1=k1, q2=q2, k2=k2, v=v, lam=lam)


def run_case(sub, args, lam, expected=None, rtol=1e-4, atol=1e-5, what="out"):
    args64 = tuple(a.astype(np.float64) for a in args)
    expected = reference(*args64, lam) if expected is None else expected
    out = sub.fn(FN)(*args, lam)
    C.expect_close(out, expected, what=what, case=describe(*args, lam), rtol=rtol, atol=atol,
                   bugs=known_bugs(*args64, lam))
    return C.as_array(out, what)


# Batch dims, T != S, d_v != d, a single query, a single key; lam never 1 (where the swapped
# maps and an ignored lam would be right).
@pytest.mark.parametrize("seed,batch,t,s,d,d_v,lam", [(0, (), 5, 5, 4, 4, 0.8), (1, (2,), 6, 9, 8, 5, 0.3),
                                                      (2, (2, 3), 7, 4, 16, 6, 0.55), (3, (), 1, 6, 4, 3, 0.9),
                                                      (4, (3,), 5, 1, 4, 2, 0.2)])
def test_matches_reference(sub, seed, batch, t, s, d, d_v, lam):
    """Output matches the reference (float64, batch dims, T != S, d_v != d)"""
    run_case(sub, make(seed, batch, t, s, d, d_v), lam)


def test_float32(sub):
    """Output matches the reference on float32 inputs"""
    run_case(sub, make(5, (2,), 8, 10, 8, 4, dtype=np.float32), 0.6, rtol=2e-3, atol=2e-4)


def test_same_maps_give_scaled_attention(sub):
    """With q2 = q1 and k2 = k1 the output is (1 - lam) times ordinary attention"""
    q1, k1, _, _, v = make(6, (2,), 6, 7, 8, 3)
    lam = 0.4
    attention = ref_softmax(q1 @ np.swapaxes(k1, -1, -2) / np.sqrt(8)) @ v
    run_case(sub, (q1, k1, q1.copy(), k1.copy(), v), lam, expected=(1 - lam) * attention,
             what="out for q2 = q1, k2 = k1")


def test_constant_values(sub):
    """With every value equal to 1, every output is 1 - lam (each softmax row sums to 1 over the keys)"""
    q1, k1, q2, k2, v = make(7, (2,), 4, 9, 8, 3)
    v = np.ones_like(v)
    lam = 0.3
    out = run_case(sub, (q1, k1, q2, k2, v), lam, expected=np.full((2, 4, 3), 1 - lam), what="out for v = 1")
    C.expect(out.shape == (2, 4, 3), f"`out` has shape {out.shape}, expected (2, 4, 3).")


def test_lam_zero_is_attention(sub):
    """lam = 0 reduces to scaled dot-product attention over (q1, k1)"""
    q1, k1, q2, k2, v = make(8, (), 5, 8, 4, 6)
    expected = ref_softmax(q1 @ k1.T / 2.0) @ v
    run_case(sub, (q1, k1, q2, k2, v), 0.0, expected=expected, what="out with lam = 0")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hostile_magnitudes(sub, dtype):
    """Scores around +-1000 give finite, correct results (stable softmax)"""
    tol = (1e-4, 1e-5) if dtype == np.float64 else (2e-3, 2e-4)
    args = make(9, (2,), 6, 7, 4, 3, scale=1.0, dtype=dtype)
    q1, k1, q2, k2, v = args
    run_case(sub, (q1 * 30, k1 * 30, q2 * 30, k2 * 30, v), 0.7, rtol=tol[0], atol=tol[1])
