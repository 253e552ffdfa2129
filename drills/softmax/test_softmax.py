"""Hidden suite for the `softmax` drill. Never copied into the learner's workspace."""
import numpy as np
import pytest

from tfprep.content.reference_impls.softmax import softmax as reference
from tfprep.content.reference_impls.softmax import softmax_backward as reference_backward
from tfprep.grading import checks as C


# --- known bugs: what each classic mistake would return on the same inputs -----------------

def _other_axis(ndim, axis):
    """The axis a wrong-axis bug would use: the last one, or axis 0 when the last was asked."""
    if ndim < 2:
        return None
    return ndim - 1 if axis % ndim != ndim - 1 else 0


def bug_no_max_subtraction(x, axis=-1, temperature=1.0):
    with np.errstate(all="ignore"):
        e = np.exp(x / temperature)  # stays in x's dtype, so it overflows where the learner's does
        return e / e.sum(axis=axis, keepdims=True)


def bug_wrong_axis(x, axis=-1, temperature=1.0):
    other = _other_axis(x.ndim, axis)
    return None if other is None else reference(x, axis=other, temperature=temperature)


def bug_no_keepdims(x, axis=-1, temperature=1.0):
    z = x / temperature
    e = np.exp(z - np.max(z, axis=axis))  # raises where the shapes don't broadcast: no match
    return e / np.sum(e, axis=axis)


def bug_temperature_multiplied(x, axis=-1, temperature=1.0):
    return reference(x * temperature, axis=axis)


def bug_temperature_ignored(x, axis=-1, temperature=1.0):
    return reference(x, axis=axis)


def bug_backward_elementwise(grad_out, y, axis=-1):
    return grad_out * y * (1 - y)


def bug_backward_wrong_axis(grad_out, y, axis=-1):
    other = _other_axis(y.ndim, axis)
    return None if other is None else reference_backward(grad_out, y, axis=other)


def bug_backward_no_y_factor(grad_out, y, axis=-1):
    return grad_out - np.sum(grad_out * y, axis=axis, keepdims=True)


BUGS = {
    "no max-subtraction in the softmax (overflow)": bug_no_max_subtraction,
    "softmax over the wrong axis": bug_wrong_axis,
    "max/sum without keepdims=True (normalised along the wrong axis)": bug_no_keepdims,
    "temperature multiplied instead of divided": bug_temperature_multiplied,
    "temperature ignored": bug_temperature_ignored,
    "backward = elementwise y*(1-y) only (off-diagonal Jacobian terms dropped)": bug_backward_elementwise,
    "backward: sum(grad_out * y) taken over the wrong axis": bug_backward_wrong_axis,
    "backward: the leading y factor is missing (grad_out - sum(grad_out * y))": bug_backward_no_y_factor,
}
BACKWARD_BUGS = [label for label, f in BUGS.items() if f.__name__.startswith("bug_backward")]
FORWARD_BUGS = [label for label in BUGS if label not in BACKWARD_BUGS]


def known_bugs(labels, *args, **kwargs):
    """Lazily computed known-bug outputs for the diagnosis."""
    return {label: (lambda f=BUGS[label]: f(*args, **kwargs)) for label in labels}


def run_forward(sub, x, axis, temperature, rtol=1e-4, atol=1e-5):
    expected = reference(x.astype(np.float64), axis=axis, temperature=temperature)
    got = sub.fn("softmax")(x, axis=axis, temperature=temperature)
    C.expect_close(got, expected, what="softmax(x)", case=C.describe(x=x, axis=axis, temperature=temperature),
                   rtol=rtol, atol=atol, bugs=known_bugs(FORWARD_BUGS, x, axis=axis, temperature=temperature))
    return C.as_array(got, "softmax(x)")


def run_backward(sub, g, y, axis, rtol=1e-4, atol=1e-5):
    expected = reference_backward(g.astype(np.float64), y.astype(np.float64), axis=axis)
    got = sub.fn("softmax_backward")(g, y, axis=axis)
    C.expect_close(got, expected, what="softmax_backward(grad_out, y)", case=C.describe(grad_out=g, y=y, axis=axis),
                   rtol=rtol, atol=atol, bugs=known_bugs(BACKWARD_BUGS, g, y, axis=axis))
    return C.as_array(got, "softmax_backward(grad_out, y)")


def make_backward(seed, shape, axis, dtype=np.float64):
    g = C.rng(seed)
    y = reference(C.randn(g, *shape, scale=2.0), axis=axis).astype(dtype)
    return C.randn(g, *shape, scale=3.0, dtype=dtype), y


# A square (5, 5) case makes a missing keepdims run (and be named) instead of raising.
SHAPES = [
    (0, (6,), -1, 1.0),
    (1, (4, 7), -1, 1.0),
    (2, (5, 5), -1, 1.0),
    (3, (3, 4, 5), 1, 1.0),
    (4, (3, 4, 5), 0, 2.0),
    (5, (2, 3, 8), -1, 0.5),
]


@pytest.mark.parametrize("seed,shape,axis,temperature", SHAPES)
def test_forward_matches_reference(sub, seed, shape, axis, temperature):
    """softmax matches the reference (float64, several shapes, axes, temperatures)"""
    run_forward(sub, C.randn(C.rng(seed), *shape, scale=3.0), axis, temperature)


def test_forward_float32(sub):
    """softmax matches the reference on float32 logits"""
    run_forward(sub, C.randn(C.rng(6), 4, 9, scale=3.0, dtype=np.float32), -1, 1.5, rtol=2e-3, atol=2e-4)


def test_sums_to_one_along_axis(sub):
    """The output sums to 1 along the requested axis (here axis=1 of a 3-d array)"""
    x = C.randn(C.rng(7), 3, 6, 4, scale=3.0)
    y = C.as_array(sub.fn("softmax")(x, axis=1), "softmax(x)")
    bug = C.matching_bug(y, known_bugs(FORWARD_BUGS, x, axis=1, temperature=1.0), 1e-4, 1e-5)
    C.expect(y.shape == x.shape, f"softmax(x) has shape {y.shape}, expected {x.shape} (the shape of x).", bug)
    sums = y.sum(axis=1)
    C.expect(np.allclose(sums, 1.0, atol=1e-6) and (y >= 0).all(),
             f"softmax(x, axis=1) is not a distribution along axis 1 (sums range {sums.min():.3g}..{sums.max():.3g}).",
             bug)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hostile_magnitudes(sub, dtype):
    """Logits around +-1000 give finite, correct results (stable softmax)"""
    x = C.randn(C.rng(8), 4, 10, scale=1000.0, dtype=dtype)
    tol = (1e-4, 1e-5) if dtype == np.float64 else (2e-3, 2e-4)
    run_forward(sub, x, -1, 1.0, *tol)
    run_forward(sub, x, -1, 0.5, *tol)


def test_shift_invariance(sub):
    """Adding the same large constant to every logit leaves the output unchanged"""
    x = C.randn(C.rng(9), 3, 7, scale=2.0)
    got = sub.fn("softmax")(x + 800.0)
    C.expect_close(got, reference(x), what="softmax(x + 800)", case="the logits of softmax(x) shifted by 800",
                   bugs=known_bugs(FORWARD_BUGS, x + 800.0))


def test_temperature_flattens(sub):
    """A higher temperature gives a flatter distribution (largest probability drops)"""
    x = C.randn(C.rng(10), 5, 6, scale=2.0)
    fn = sub.fn("softmax")
    peaks = [C.as_array(fn(x, temperature=t), f"softmax(x, temperature={t})").max(axis=-1) for t in (0.5, 1.0, 2.0)]
    bug = C.matching_bug(fn(x, temperature=2.0), known_bugs(FORWARD_BUGS, x, temperature=2.0), 1e-4, 1e-5)
    C.expect(np.all(peaks[0] >= peaks[1] - 1e-12) and np.all(peaks[1] >= peaks[2] - 1e-12),
             "raising the temperature (0.5 -> 1 -> 2) made the distribution sharper, not flatter: "
             "the logits must be divided by the temperature.", bug)


@pytest.mark.parametrize("seed,shape,axis", [(11, (7,), -1), (12, (4, 6), -1), (13, (5, 5), 0), (14, (2, 3, 4), 1)])
def test_backward_matches_reference(sub, seed, shape, axis):
    """softmax_backward matches the reference vector-Jacobian product (float64)"""
    run_backward(sub, *make_backward(seed, shape, axis), axis)


def test_backward_float32(sub):
    """softmax_backward matches the reference on float32 inputs"""
    run_backward(sub, *make_backward(15, (3, 8), -1, dtype=np.float32), -1, rtol=2e-3, atol=2e-4)


def test_backward_sums_to_zero(sub):
    """The input gradient sums to 0 along the axis (softmax ignores a shift of all logits)"""
    g, y = make_backward(16, (4, 9), -1)
    dx = C.as_array(sub.fn("softmax_backward")(g, y), "softmax_backward(grad_out, y)")
    C.expect(dx.shape == y.shape, f"softmax_backward returned shape {dx.shape}, expected {y.shape}.")
    sums = dx.sum(axis=-1)
    C.expect(np.allclose(sums, 0.0, atol=1e-8),
             f"the gradient's rows sum to {np.abs(sums).max():.3g} (in absolute value), not 0: every logit moving "
             "together cannot change the softmax, so the gradient has no component along (1, ..., 1).",
             C.matching_bug(dx, known_bugs(BACKWARD_BUGS, g, y), 1e-4, 1e-5))
