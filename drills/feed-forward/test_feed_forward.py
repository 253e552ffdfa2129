"""Hidden suite for the `feed-forward` drill. Never copied into the learner's workspace."""
import math

import numpy as np
import pytest

from tfprep.content.reference_impls.feed_forward import gelu as ref_gelu
from tfprep.content.reference_impls.feed_forward import sigmoid as ref_sigmoid
from tfprep.content.reference_impls.feed_forward import swiglu_ffn as ref_swiglu
from tfprep.grading import checks as C


# --- known bugs: what each classic mistake would return on the same inputs -----------------

def bug_tanh_for_exact(x, approximate=False):
    return ref_gelu(x, approximate=True)


def bug_erf_for_approximate(x, approximate=False):
    return ref_gelu(x, approximate=False)


def bug_sigmoid_approximation(x, approximate=False):
    x = np.asarray(x, dtype=np.float64)
    return x * ref_sigmoid(1.702 * x)


def bug_tanh_no_cubic(x, approximate=False):
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * x)) if approximate else ref_gelu(x)


def bug_sigmoid_for_silu(x, w_gate, w_up, w_down):
    return (ref_sigmoid(x @ w_gate) * (x @ w_up)) @ w_down


def bug_gate_up_swapped(x, w_gate, w_up, w_down):
    return ref_swiglu(x, w_up, w_gate, w_down)


def bug_gelu_for_silu(x, w_gate, w_up, w_down):
    return (ref_gelu(x @ w_gate) * (x @ w_up)) @ w_down


GELU_BUGS = {
    "tanh approximation used for the exact GELU (approximate=False needs erf)": bug_tanh_for_exact,
    "erf form used for approximate=True (it asks for the tanh form)": bug_erf_for_approximate,
    "sigmoid approximation x * sigmoid(1.702 x) used for GELU": bug_sigmoid_approximation,
    "tanh form without the 0.044715 x^3 term": bug_tanh_no_cubic,
}
FFN_BUGS = {
    "sigmoid used instead of SiLU (SiLU is x * sigmoid(x))": bug_sigmoid_for_silu,
    "gate and up swapped: SiLU goes on x @ w_gate, not x @ w_up": bug_gate_up_swapped,
    "GELU used instead of SiLU (that is GeGLU)": bug_gelu_for_silu,
}
BUGS = {**GELU_BUGS, **FFN_BUGS}


def run_gelu(sub, x, approximate, rtol=1e-4, atol=1e-5):
    expected = ref_gelu(x.astype(np.float64), approximate)
    fn = sub.fn("gelu")
    got = fn(x) if approximate is None else fn(x, approximate=approximate)
    approximate = bool(approximate)
    C.expect_close(got, expected, what=f"gelu(x, approximate={approximate})", case=C.describe(x=x),
                   rtol=rtol, atol=atol, bugs={k: (lambda f=f: f(x, approximate)) for k, f in GELU_BUGS.items()})


def run_ffn(sub, x, w_gate, w_up, w_down, rtol=1e-4, atol=1e-5):
    f64 = [a.astype(np.float64) for a in (x, w_gate, w_up, w_down)]
    got = sub.fn("swiglu_ffn")(x, w_gate, w_up, w_down)
    C.expect_close(got, ref_swiglu(*f64), what="swiglu_ffn output",
                   case=C.describe(x=x, w_gate=w_gate, w_up=w_up, w_down=w_down), rtol=rtol, atol=atol,
                   bugs={k: (lambda f=f: f(*f64)) for k, f in FFN_BUGS.items()})


def make_ffn(seed, batch, d, f, scale=1.0, dtype=np.float64):
    """Weights scaled so pre-activations are O(2): SiLU, sigmoid and GELU all differ there."""
    g = C.rng(seed)
    x = C.randn(g, *batch, d, scale=scale, dtype=dtype)
    w_gate = C.randn(g, d, f, scale=2.0 / math.sqrt(d), dtype=dtype)
    w_up = C.randn(g, d, f, scale=2.0 / math.sqrt(d), dtype=dtype)
    w_down = C.randn(g, f, d, scale=1.0 / math.sqrt(f), dtype=dtype)
    return x, w_gate, w_up, w_down


# --- gelu ------------------------------------------------------------------------------------

GRID = np.linspace(-6.0, 6.0, 97)  # includes |x| ~ 2.7, where tanh and erf forms differ most


@pytest.mark.parametrize("approximate", [None, False, True], ids=["default", "exact", "tanh"])
def test_gelu_grid(sub, approximate):
    """gelu on a grid of values from -6 to 6"""
    run_gelu(sub, GRID, approximate)


@pytest.mark.parametrize("approximate", [False, True], ids=["exact", "tanh"])
def test_gelu_batched(sub, approximate):
    """gelu is elementwise on a batched array (float64)"""
    run_gelu(sub, C.randn(C.rng(1), 3, 5, 7, scale=2.5), approximate)


@pytest.mark.parametrize("approximate", [False, True], ids=["exact", "tanh"])
def test_gelu_float32(sub, approximate):
    """gelu on float32 inputs (tight tolerance: the two forms differ by ~5e-4)"""
    run_gelu(sub, C.randn(C.rng(2), 4, 33, scale=2.5, dtype=np.float32), approximate, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("approximate", [False, True], ids=["exact", "tanh"])
def test_gelu_hostile(sub, approximate):
    """gelu(+-1000) is finite: ~x for large x, ~0 for very negative x"""
    run_gelu(sub, np.array([-1000.0, -80.0, -30.0, 0.0, 30.0, 80.0, 1000.0]), approximate)


def test_gelu_odd_part(sub):
    """gelu(x) - gelu(-x) == x (because Phi(x) + Phi(-x) = 1)"""
    x = C.randn(C.rng(3), 50, scale=2.0)
    fn = sub.fn("gelu")
    pos, neg = C.as_array(fn(x), "gelu(x)"), C.as_array(fn(-x), "gelu(-x)")
    C.expect(pos.shape == x.shape and neg.shape == x.shape, f"gelu returned shape {pos.shape}, expected {x.shape}.")
    diff = pos.astype(np.float64) - neg
    C.expect(np.allclose(diff, x, rtol=1e-6, atol=1e-8),
             f"gelu(x) - gelu(-x) should equal x; worst error {np.abs(diff - x).max():.3g}.",
             C.matching_bug(pos, {k: (lambda f=f: f(x)) for k, f in GELU_BUGS.items()}, 1e-4, 1e-5))


# --- swiglu_ffn ------------------------------------------------------------------------------

@pytest.mark.parametrize("seed,batch,d,f", [(10, (2, 5), 8, 12), (11, (7,), 6, 4), (12, (), 10, 16), (13, (2, 3, 2), 5, 9)])
def test_swiglu_matches_reference(sub, seed, batch, d, f):
    """swiglu_ffn matches the reference (float64)"""
    run_ffn(sub, *make_ffn(seed, batch, d, f))


def test_swiglu_float32(sub):
    """swiglu_ffn on float32 inputs"""
    run_ffn(sub, *make_ffn(14, (3, 6), 16, 24, dtype=np.float32), rtol=2e-3, atol=2e-4)


def test_swiglu_hostile(sub):
    """Pre-activations around +-1000 give finite, correct outputs"""
    x, w_gate, w_up, w_down = make_ffn(15, (4,), 6, 8)
    run_ffn(sub, x * 300.0, w_gate, w_up, w_down, atol=1e-3)


def test_swiglu_linear_in_up_branch(sub):
    """Doubling w_up doubles the output (only the gate branch is non-linear)"""
    x, w_gate, w_up, w_down = make_ffn(16, (3, 4), 8, 10)
    fn = sub.fn("swiglu_ffn")
    out = C.as_array(fn(x, w_gate, w_up, w_down), "swiglu_ffn output").astype(np.float64)
    out2 = fn(x, w_gate, 2.0 * w_up, w_down)
    # Only a non-linearity on the up branch breaks this; name it from what out2 looks like.
    bugs = {k: (lambda f=f: f(x, w_gate, 2.0 * w_up, w_down)) for k, f in FFN_BUGS.items()}
    C.expect_close(out2, 2.0 * out, what="swiglu_ffn with 2 * w_up",
                   case="the same input with w_up doubled (the up branch enters linearly)", bugs=bugs)


def test_swiglu_position_wise(sub):
    """Each token is transformed on its own (position-wise FFN)"""
    x, w_gate, w_up, w_down = make_ffn(17, (2, 5), 6, 7)
    fn = sub.fn("swiglu_ffn")
    full = C.as_array(fn(x, w_gate, w_up, w_down), "swiglu_ffn output")
    C.expect(full.shape == x.shape, f"swiglu_ffn output has shape {full.shape}, expected {x.shape}.")
    one = fn(x[1, 3], w_gate, w_up, w_down)
    C.expect_close(one, full[1, 3], what="swiglu_ffn on a single token", case="token (1, 3) passed alone")
