"""Hidden suite for the `layer-norm` drill. Never copied into the learner's workspace."""
import numpy as np
import pytest

from tfprep.content.reference_impls.layer_norm import layer_norm as ref_layer_norm
from tfprep.content.reference_impls.layer_norm import rms_norm as ref_rms_norm
from tfprep.grading import checks as C

LN_EPS, RMS_EPS = 1e-5, 1e-6  # the defaults of the contract


# --- known bugs: what each classic mistake would return on the same inputs -----------------
# One parametric normaliser; each bug is a wrong setting of it. `which` is the function under
# test ("layer_norm" or "rms_norm"); a bug that cannot happen in that function returns None.

def _norm(which, x, w, b, eps, *, axis=-1, ddof=0, eps_inside=True, center=None, one_pass=False,
          mean=True, root=True, swap=False):
    """`mean=False`: sum of squares instead of their mean; `root=False`: divide by the variance
    itself; `swap`: LayerNorm with gamma and beta exchanged."""
    center = (which == "layer_norm") if center is None else center
    n = x.size if axis is None else x.shape[axis]
    div = (n - ddof) if mean else 1
    if center:
        mu = x.mean(axis=axis, keepdims=True)
        if one_pass:
            var = (x * x).mean(axis=axis, keepdims=True) - mu * mu
        else:
            var = ((x - mu) ** 2).sum(axis=axis, keepdims=True) / div
    else:
        mu, var = 0.0, (x * x).sum(axis=axis, keepdims=True) / div
    if swap:
        w, b = b, w
    with np.errstate(all="ignore"):
        s = np.sqrt if root else (lambda t: t)
        denom = s(var + eps) if eps_inside else s(var) + eps
        out = (x - mu) / denom * w
    return out + b if which == "layer_norm" else out


def _only(which_ok, **kw):
    def bug(which, x, w, b, eps):
        return _norm(which, x, w, b, eps, **kw) if which in which_ok else None
    return bug


def _default_eps(which, x, w, b, eps):
    """eps argument ignored: the function always uses its default."""
    default = LN_EPS if which == "layer_norm" else RMS_EPS
    return None if eps == default else _norm(which, x, w, b, default)


BOTH = {"layer_norm", "rms_norm"}
BUGS = {
    "divides by D - 1 (ddof=1, the unbiased estimate): LayerNorm's variance and RMSNorm's mean square "
    "average over the D features": _only(BOTH, ddof=1),
    "eps added outside the sqrt: it must be sqrt(var + eps)": _only(BOTH, eps_inside=False),
    "normalised over the whole array instead of each vector's last axis": _only(BOTH, axis=None),
    "RMSNorm subtracts the mean (that is LayerNorm without beta)": _only({"rms_norm"}, center=True),
    "one-pass variance E[x^2] - mean^2 (cancels catastrophically in float32)": _only({"layer_norm"}, one_pass=True),
    "gamma and beta swapped: the output is normalised * gamma + beta": _only({"layer_norm"}, swap=True),
    "sum of squares instead of their mean (a norm, not an RMS): divide the sum by D": _only(BOTH, mean=False),
    "divides by the variance instead of its square root (the standard deviation)": _only(BOTH, root=False),
    "eps argument ignored: the function always uses its default eps": _default_eps,
}


def _axis_label(a):
    return f"normalised over axis {a} instead of the last axis (the features)"


def known_bugs(which, x, w, b, eps):
    bugs = {label: (lambda f=f: f(which, x, w, b, eps)) for label, f in BUGS.items()}
    for a in range(x.ndim - 1):  # every axis but the features' (for a 1-D x there is none)
        bugs[_axis_label(a)] = lambda a=a: _norm(which, x, w, b, eps, axis=a)
    return bugs


def run_ln(sub, x, gamma, beta, eps=None, rtol=1e-4, atol=1e-5):
    e = LN_EPS if eps is None else eps
    expected = ref_layer_norm(x.astype(np.float64), gamma.astype(np.float64), beta.astype(np.float64), e)
    fn = sub.fn("layer_norm")
    got = fn(x, gamma, beta) if eps is None else fn(x, gamma, beta, eps=eps)
    C.expect_close(got, expected, what="layer_norm output", case=C.describe(x=x, eps=e), rtol=rtol, atol=atol,
                   bugs=known_bugs("layer_norm", x, gamma, beta, e))


def run_rms(sub, x, weight, eps=None, rtol=1e-4, atol=1e-5):
    e = RMS_EPS if eps is None else eps
    expected = ref_rms_norm(x.astype(np.float64), weight.astype(np.float64), e)
    fn = sub.fn("rms_norm")
    got = fn(x, weight) if eps is None else fn(x, weight, eps=eps)
    C.expect_close(got, expected, what="rms_norm output", case=C.describe(x=x, eps=e), rtol=rtol, atol=atol,
                   bugs=known_bugs("rms_norm", x, weight, None, e))


def make(seed, *shape, scale=2.0, offset=0.5, dtype=np.float64):
    """x with a non-zero mean (so centring matters) and random affine parameters."""
    g = C.rng(seed)
    d = shape[-1]
    x = (C.randn(g, *shape, scale=scale) + offset).astype(dtype)
    return x, (1.0 + 0.5 * C.randn(g, d)).astype(dtype), C.randn(g, d).astype(dtype)


SHAPES = [(5, 8), (2, 7, 6), (3, 1, 16), (13,), (2, 3, 4, 5)]


# --- layer_norm ------------------------------------------------------------------------------

@pytest.mark.parametrize("seed,shape", list(enumerate(SHAPES)))
def test_layer_norm_matches_reference(sub, seed, shape):
    """layer_norm matches the reference (float64)"""
    run_ln(sub, *make(seed, *shape))


def test_layer_norm_float32(sub):
    """layer_norm matches the reference on float32 inputs"""
    run_ln(sub, *make(10, 4, 9, 32, dtype=np.float32), rtol=2e-3, atol=2e-4)


def test_layer_norm_small_variance(sub):
    """layer_norm with features of variance ~1e-5, where eps matters"""
    run_ln(sub, *make(11, 6, 12, scale=3e-3, offset=0.1))


def test_layer_norm_custom_eps(sub):
    """layer_norm honours its eps argument"""
    run_ln(sub, *make(12, 4, 10, scale=0.2), eps=0.05)


def test_layer_norm_normalises_each_vector(sub):
    """With gamma=1, beta=0 every vector has mean 0 and (biased) variance 1"""
    x, _, _ = make(13, 6, 5, scale=4.0, offset=3.0)
    ones, zeros = np.ones(5), np.zeros(5)
    y = C.as_array(sub.fn("layer_norm")(x, ones, zeros), "layer_norm output").astype(np.float64)
    C.expect(y.shape == x.shape, f"layer_norm output has shape {y.shape}, expected {x.shape}.")
    bug = C.matching_bug(y, known_bugs("layer_norm", x, ones, zeros, LN_EPS), 1e-4, 1e-5,
                         expected=ref_layer_norm(x, ones, zeros, LN_EPS))
    mean, var = y.mean(-1), y.var(-1)
    C.expect(np.allclose(mean, 0.0, atol=1e-6), f"each vector should have mean 0 over its features; got means up to {np.abs(mean).max():.3g}.", bug)
    C.expect(np.allclose(var, 1.0, rtol=1e-3),
             f"each vector should have variance 1 (dividing by D) over its features; got {var.min():.4g}..{var.max():.4g}.", bug)


def test_layer_norm_shift_and_scale_invariance(sub):
    """layer_norm(a*x + c) equals layer_norm(x) per vector"""
    x, gamma, beta = make(14, 3, 4, 8)
    fn = sub.fn("layer_norm")
    base = C.as_array(fn(x, gamma, beta), "layer_norm output")
    C.expect_close(fn(7.0 * x - 40.0, gamma, beta), base, what="layer_norm(7x - 40)",
                   case="the same x scaled by 7 and shifted by -40", rtol=1e-4, atol=1e-4)


def test_layer_norm_constant_vector(sub):
    """A constant vector gives beta (no division by zero)"""
    x = np.full((2, 6), 3.25)
    _, gamma, beta = make(15, 6)
    run_ln(sub, x, gamma, beta)


def test_layer_norm_large_offset_float32(sub):
    """float32 features with a large mean (1000) are normalised accurately"""
    run_ln(sub, *make(16, 4, 64, scale=1.0, offset=1000.0, dtype=np.float32), rtol=2e-3, atol=2e-3)


# --- rms_norm --------------------------------------------------------------------------------

@pytest.mark.parametrize("seed,shape", list(enumerate(SHAPES)))
def test_rms_norm_matches_reference(sub, seed, shape):
    """rms_norm matches the reference (float64)"""
    x, w, _ = make(20 + seed, *shape)
    run_rms(sub, x, w)


def test_rms_norm_float32(sub):
    """rms_norm matches the reference on float32 inputs"""
    x, w, _ = make(30, 4, 9, 32, dtype=np.float32)
    run_rms(sub, x, w, rtol=2e-3, atol=2e-4)


def test_rms_norm_small_inputs(sub):
    """rms_norm with features of size ~1e-3, where eps matters"""
    x, w, _ = make(31, 6, 12, scale=1e-3, offset=5e-4)
    run_rms(sub, x, w)


def test_rms_norm_custom_eps(sub):
    """rms_norm honours its eps argument"""
    x, w, _ = make(32, 4, 10, scale=0.2)
    run_rms(sub, x, w, eps=0.05)


def test_rms_norm_unit_rms(sub):
    """With weight=1 every vector has root-mean-square 1 and keeps its mean's sign"""
    x, _, _ = make(33, 6, 7, scale=1.0, offset=2.0)
    ones = np.ones(7)
    y = C.as_array(sub.fn("rms_norm")(x, ones), "rms_norm output").astype(np.float64)
    C.expect(y.shape == x.shape, f"rms_norm output has shape {y.shape}, expected {x.shape}.")
    bug = C.matching_bug(y, known_bugs("rms_norm", x, ones, None, RMS_EPS), 1e-4, 1e-5,
                         expected=ref_rms_norm(x, ones, RMS_EPS))
    rms = np.sqrt((y**2).mean(-1))
    C.expect(np.allclose(rms, 1.0, rtol=1e-4), f"each vector should have RMS 1 over its features; got {rms.min():.4g}..{rms.max():.4g}.", bug)
    C.expect(np.all(y.mean(-1) > 0.5), "RMSNorm only rescales: vectors with a positive mean must keep it "
             "(removing the mean is LayerNorm's job).", bug)


def test_rms_norm_scale_invariance(sub):
    """rms_norm(a*x) equals rms_norm(x) per vector"""
    x, w, _ = make(34, 3, 4, 8)
    fn = sub.fn("rms_norm")
    base = C.as_array(fn(x, w), "rms_norm output")
    C.expect_close(fn(25.0 * x, w), base, what="rms_norm(25 x)", case="the same x scaled by 25")
