"""Hidden suite for the `quantization` drill. Never copied into the learner's workspace.

Inputs are built so that no x / scale lies within 1e-3 of a half-integer: rounding half to
even (np.round) and half away from zero then agree, as does any correct way of computing
x / scale in float32 or float64, so q is compared exactly.
"""
import numpy as np
import pytest

from tfprep.content.reference_impls.quantization import dequantize_int8 as reference_dequantize
from tfprep.content.reference_impls.quantization import quantize_int8 as reference
from tfprep.grading import checks as C

QFN, DFN = "quantize_int8", "dequantize_int8"


# --- known bugs: what each classic mistake would return on the same inputs -----------------

def _absmax(x, axis):
    return np.max(np.abs(x), axis=axis, keepdims=True)


def _round(x, scale, lo=-127, hi=127, rounding=np.round):
    """q for a given scale: rounded, then clipped to [lo, hi] or (lo=None) wrapped like an int8 cast."""
    with np.errstate(all="ignore"):
        r = rounding(x / np.where(scale == 0, 1, scale))
    if lo is None:
        return (r.astype(np.int64) + 128) % 256 - 128  # what astype(int8) does past the range
    return np.clip(r, lo, hi)


def _kept_axes(ndim, axis):
    """Every axis except `axis`: what a learner reduces over who reads `axis` as the axis kept."""
    kept = {a % ndim for a in ((axis,) if isinstance(axis, int) else axis)}
    return tuple(a for a in range(ndim) if a not in kept)


def bug_div128(x, axis):
    s = _absmax(x, axis) / 128
    return [_round(x, s), _round(x, s, -128, 127)], s


def bug_overflow(x, axis):
    s = _absmax(x, axis) / 128
    return [_round(x, s, None)], []  # +128 wraps to -128; its scale is the /128 bug's, named there


def bug_no_abs(x, axis):
    s = np.max(x, axis=axis, keepdims=True) / 127
    return [_round(x, s), _round(x, s, -128, 127), _round(x, s, None)], s


def bug_per_tensor(x, axis):
    s = _absmax(x, None) / 127
    return [_round(x, s)], [s, s.reshape(())]


def bug_axis_kept(x, axis):
    if axis is None or x.ndim < 2:
        return None
    s = _absmax(x, _kept_axes(x.ndim, axis)) / 127
    return [_round(x, s)], s


def bug_no_keepdims(x, axis):
    if axis is None:
        return None
    s = np.max(np.abs(x), axis=axis) / 127
    try:
        q = [_round(x, s)]  # runs only where the squeezed scale broadcasts (against the wrong axis)
    except ValueError:
        q = []
    return q, s


def bug_truncated(x, axis):
    s = _absmax(x, axis) / 127
    return [_round(x, s, rounding=np.trunc), _round(x, s, rounding=np.floor)], s


def bug_zero_scale_replaced(x, axis):
    """The scale (or max|x|) clamped to a floor, or replaced where it is 0, "to avoid 0 / 0"."""
    absmax = _absmax(x, axis)
    s = absmax / 127
    floors = (1.0, 1e-6, 1e-8, 1e-12, np.finfo(np.float64).eps, np.finfo(np.float32).eps, np.finfo(np.float32).tiny)
    scales = [np.where(s == 0, v, s) for v in floors] + [np.maximum(s, v) for v in floors]
    scales += [np.maximum(absmax, v) / 127 for v in floors]
    scales = [c for c in scales if not np.array_equal(c, s)]
    return [_round(x, c) for c in scales], scales


DIV128 = "scale = max|x| / 128 instead of / 127"
OVERFLOW = "overflow to -128 (q must stay within [-127, 127]; a value that rounds to +128 wraps to -128 in int8)"
PER_TENSOR = "per-tensor when per-axis asked (one scale for the whole tensor: `axis` ignored)"
AXIS_KEPT = ("`axis` read as the axis kept instead of the axis reduced over (axis=-1 must give one scale per row, "
             "as np.max(|x|, axis=-1, keepdims=True))")
NO_KEEPDIMS = "scale without keepdims (it must keep the reduced dimension, size 1, so it broadcasts against q)"
TRUNCATED = "truncated or floored instead of rounded (astype(int8) or np.floor without np.round)"
ZERO_SCALE = ("scale clamped to a floor or replaced where max|x| is 0 (an all-zero slice must get scale 0 and q 0; "
              "tiny values keep their own tiny scale)")
BUGS = {
    DIV128: bug_div128,
    OVERFLOW: bug_overflow,
    "absmax without the abs: scale = max(x) / 127 (negative values overflow)": bug_no_abs,
    PER_TENSOR: bug_per_tensor,
    AXIS_KEPT: bug_axis_kept,
    NO_KEEPDIMS: bug_no_keepdims,
    TRUNCATED: bug_truncated,
    ZERO_SCALE: bug_zero_scale_replaced,
}


def known_bugs(x, axis, index, got):
    """Lazily computed known-bug outputs (index 0 = q, 1 = scale); where a bug has several
    forms, the one closest to `got`."""
    right = np.asarray(reference(x.astype(np.float64), axis=axis)[index], dtype=np.float64)

    def value(f):
        out = f(x, axis)
        if out is None:
            return None
        cands = out[index] if isinstance(out[index], list) else [out[index]]
        # a form that is right on this input (a squeezed scale that still broadcasts) explains nothing
        cands = [c for c in cands if np.shape(c) != right.shape or not np.allclose(c, right, rtol=1e-12, atol=0)]
        return C.nearest(got, cands) if cands else None
    return {label: (lambda f=f: value(f)) for label, f in BUGS.items()}


def bug_deq_divided(q, scale):
    return q / np.where(scale == 0, 1, scale)


def bug_deq_127(q, scale):
    return q * scale / 127


DEQ_BUGS = {
    "dequantize divides by the scale instead of multiplying (x_hat = q * scale)": bug_deq_divided,
    "dequantize divides by 127 again (the scale already is max|x| / 127)": bug_deq_127,
}


# --- cases ----------------------------------------------------------------------------------

def make(seed, shape, axis, scale=50.0, dtype=np.float64):
    """Random x whose x / scale keeps clear (1e-3) of every half-integer, so rounding conventions
    and float32 vs float64 arithmetic all give the same q. Scale 50 makes max|x| about 150, so
    a /128 scale differs from /127 well beyond the tolerances."""
    x = C.randn(C.rng(seed), *shape, scale=scale, dtype=dtype)
    for _ in range(50):
        x64 = x.astype(np.float64)
        s = _absmax(x64, axis) / 127
        r = np.abs(x64 / np.where(s == 0, 1, s))
        near = np.abs(r - np.floor(r) - 0.5) < 1e-3
        if not near.any():
            return x
        x = np.where(near, x * 0.99, x).astype(dtype)  # smaller, so never a new max|x|
    raise AssertionError("could not move x off the rounding ties")


def normalised_scale(scale, x, axis):
    """A 0-d scale for axis=None is accepted as the all-ones keepdims shape."""
    arr = C.as_array(scale, "scale")
    if axis is None and arr.ndim == 0:
        return arr.reshape((1,) * x.ndim)
    return arr


def run_quantize(sub, x, axis):
    q_ref, s_ref = reference(x.astype(np.float64), axis=axis)
    q, scale = C.unpack(sub.fn(QFN)(x, axis=axis), 2, QFN)
    case = C.describe(x=x, axis=axis)
    scale_arr = normalised_scale(scale, x, axis)
    C.expect_close(scale_arr, s_ref, what="scale", case=case, rtol=1e-5, atol=0,
                   bugs=known_bugs(x, axis, 1, scale_arr),
                   nan_causes="0 / 0 on an all-zero slice, or an array never written")
    C.expect_close(q, q_ref, what="q", case=case, rtol=0, atol=0, bugs=known_bugs(x, axis, 0, q),
                   nan_causes="x / scale with scale 0 on an all-zero slice (give it q 0), or q left as floats")
    return q, scale


@pytest.mark.parametrize("seed,shape,axis", [
    (0, (4, 6), -1),
    (1, (5, 7), 0),
    (2, (3, 4, 5), 1),
    (3, (2, 3, 8), -1),
    (4, (4, 4), -1),     # square: the axis kept and the axis reduced give scales of the same shape
    (5, (3, 4, 5), (0, 2)),
])
def test_per_axis_matches_reference(sub, seed, shape, axis):
    """Per-axis q and scale match the reference (axis = the axis reduced over, keepdims)"""
    run_quantize(sub, make(seed, shape, axis), axis)


@pytest.mark.parametrize("seed,shape", [(6, (7,)), (7, (3, 5)), (8, (2, 3, 4))])
def test_per_tensor_matches_reference(sub, seed, shape):
    """Per-tensor (axis=None) q and scale match the reference"""
    run_quantize(sub, make(seed, shape, None), None)


@pytest.mark.parametrize("axis", [-1, None])
def test_float32(sub, axis):
    """float32 input gives the same q and scale (to float32 precision)"""
    run_quantize(sub, make(9, (5, 6), axis, dtype=np.float32), axis)


def test_q_is_int8_in_range(sub):
    """q has dtype int8, stays within [-127, 127] (never -128), and each slice's max|x| maps to +-127"""
    x = make(10, (6, 9), -1)
    x[::2] *= -1  # rows whose largest |x| is negative and rows where it is positive
    q, scale = C.unpack(sub.fn(QFN)(x, axis=-1), 2, QFN)
    C.expect(isinstance(q, np.ndarray) and q.dtype == np.int8,
             f"q has dtype {getattr(q, 'dtype', type(q).__name__)}; expected np.int8 (cast with .astype(np.int8) "
             "after rounding and clipping).")
    bug = C.matching_bug(q, known_bugs(x, -1, 0, q), 0, 0)
    C.expect(q.min() >= -127 and q.max() <= 127,
             f"q reaches {int(q.min())}: the symmetric grid is [-127, 127]. -128 has no positive partner, and a "
             "value that rounds to +128 wraps around to -128 when cast to int8.", bug or OVERFLOW)
    top = np.argmax(np.abs(x), axis=-1)
    ends = q[np.arange(6), top].astype(int)
    want = np.sign(x[np.arange(6), top]).astype(int) * 127
    bad = np.flatnonzero(ends != want)
    C.expect(bad.size == 0, f"the largest |x| of row {bad[0] if bad.size else 0} should map to "
             f"{want[bad[0]] if bad.size else 0}, got {ends[bad[0]] if bad.size else 0}: "
             "scale = max|x| / 127 puts it exactly on the end of the grid.", bug)


def test_rows_of_different_magnitudes(sub):
    """With axis=-1 each row gets its own scale: a row of small values is not flattened to 0"""
    x = make(11, (3, 8), -1, scale=1.0)
    x *= np.array([[1e-3], [1.0], [1e3]])
    q, scale = run_quantize(sub, x, -1)
    C.expect(np.count_nonzero(np.asarray(q)[0]) > 4,
             "row 0 (values about 1e-3) was quantized to (nearly) all zeros next to a row of values about 1e3.",
             PER_TENSOR)


@pytest.mark.parametrize("axis", [-1, None])
def test_all_zero_slice(sub, axis):
    """An all-zero slice gets scale 0 and q 0 (no NaN, no warning-driven garbage)"""
    x = make(12, (4, 5), -1)
    if axis is None:
        x = np.zeros((3, 4))
    else:
        x[1] = 0.0
        x[3] = 0.0
    q, scale = run_quantize(sub, x, axis)
    x_hat = C.as_array(sub.fn(DFN)(q, scale), "dequantize_int8(q, scale)")
    C.expect_close(x_hat, reference_dequantize(*reference(x, axis=axis)), what="dequantize_int8(q, scale)",
                   case="the all-zero slice round trip", rtol=1e-5, atol=1e-12)


@pytest.mark.parametrize("magnitude", [1e-20, 1e20])
def test_extreme_magnitudes(sub, magnitude):
    """Tiny (1e-20) and huge (1e20) values quantize the same as ordinary ones (only the scale moves)"""
    x = make(13, (3, 7), -1) * magnitude
    run_quantize(sub, x, -1)


@pytest.mark.parametrize("seed,shape,axis,dtype", [
    (14, (4, 6), -1, np.float64), (15, (3, 4, 5), 1, np.float64), (16, (5,), None, np.float64),
    (17, (4, 6), 0, np.float32),
])
def test_dequantize_matches_reference(sub, seed, shape, axis, dtype):
    """dequantize_int8(q, scale) = q * scale matches the reference"""
    q, scale = reference(make(seed, shape, axis, dtype=dtype), axis=axis)
    expected = reference_dequantize(q, scale.astype(np.float64))
    got = sub.fn(DFN)(q, scale)
    tol = (1e-5, 1e-8) if dtype == np.float64 else (1e-5, 1e-5)
    C.expect_close(got, expected, what="dequantize_int8(q, scale)", case=C.describe(q=q, scale=scale),
                   rtol=tol[0], atol=tol[1], bugs={k: (lambda f=f: f(q, scale)) for k, f in DEQ_BUGS.items()})
    C.expect(np.asarray(got).dtype.kind == "f", f"dequantize_int8 returned dtype {np.asarray(got).dtype}; expected "
             "floats (q * scale).")


@pytest.mark.parametrize("seed,shape,axis", [(18, (6, 10), -1), (19, (3, 4, 5), (0, 1)), (20, (9,), None)])
def test_round_trip_error_bound(sub, seed, shape, axis):
    """Round trip: |dequantize(quantize(x)) - x| <= scale / 2 everywhere (rounding to the nearest level)"""
    x = make(seed, shape, axis)
    q, scale = C.unpack(sub.fn(QFN)(x, axis=axis), 2, QFN)
    x_hat = C.as_array(sub.fn(DFN)(q, scale), "dequantize_int8(q, scale)")
    C.expect(x_hat.shape == x.shape, f"dequantize_int8(q, scale) has shape {x_hat.shape}, expected {x.shape}.",
             C.matching_bug(q, known_bugs(x, axis, 0, q), 0, 0))
    s = np.broadcast_to(normalised_scale(scale, x, axis), x.shape) if np.ndim(scale) else np.full(x.shape, scale)
    err = np.abs(x_hat - x)
    bad = err > s / 2 * (1 + 1e-6) + 1e-300
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        C.fail(f"the round-trip error at index {idx} is {err[idx]:.4g}, more than scale / 2 = {s[idx] / 2:.4g} "
               f"(x = {x[idx]:.6g}, q = {int(np.asarray(q)[idx])}, x_hat = {x_hat[idx]:.6g}).",
               C.matching_bug(q, known_bugs(x, axis, 0, q), 0, 0))
