"""Hidden suite for the `scaling-laws` drill. Never copied into the learner's workspace."""
import math
import numbers

import numpy as np
import pytest

from tfprep.content.reference_impls.scaling_laws import chinchilla_optimal as ref_optimal
from tfprep.content.reference_impls.scaling_laws import count_params as ref_count
from tfprep.content.reference_impls.scaling_laws import train_flops as ref_flops
from tfprep.grading import checks as C


# --- known bugs: what each classic mistake would return on the same inputs -----------------

def _parts(d, L, V, d_ff, ffn_mats=2, attn_mats=4, default_ff=None):
    ff = (4 * d if default_ff is None else default_ff) if d_ff is None else d_ff
    return attn_mats * d * d, ffn_mats * d * ff, V * d


def _total(d, L, V, d_ff, **kw):
    attn, ffn, emb = _parts(d, L, V, d_ff, **kw)
    return L * (attn + ffn) + emb


def bug_default_swiglu(d, L, V, d_ff=None):
    if d_ff is not None:
        return None
    return C.nearest(_GOT.get("count"), [_total(d, L, V, None, default_ff=w) for w in
                                         (8 * d / 3, int(8 * d / 3), round(8 * d / 3))])


def bug_explicit_ignored(d, L, V, d_ff=None):
    return None if d_ff is None else _total(d, L, V, None)


def bug_three_ffn_matrices(d, L, V, d_ff=None):
    return _total(d, L, V, d_ff, ffn_mats=3)


def bug_one_ffn_matrix(d, L, V, d_ff=None):
    return _total(d, L, V, d_ff, ffn_mats=1)


def bug_embedding_twice(d, L, V, d_ff=None):
    return _total(d, L, V, d_ff) + V * d


def bug_embedding_left_out(d, L, V, d_ff=None):
    return _total(d, L, V, d_ff) - V * d


def bug_no_output_projection(d, L, V, d_ff=None):
    return _total(d, L, V, d_ff, attn_mats=3)


def bug_biases_counted(d, L, V, d_ff=None):
    ff = 4 * d if d_ff is None else d_ff
    return _total(d, L, V, d_ff) + L * (4 * d + ff + d)  # q, k, v, o biases; b_1 (d_ff), b_2 (d)


def bug_layernorm_counted(d, L, V, d_ff=None):
    base = _total(d, L, V, d_ff)
    # two LayerNorms per block plus a final one, with gain and bias, or gains only (RMSNorm)
    return C.nearest(_GOT.get("count"), [base + L * 4 * d + 2 * d, base + L * 2 * d + d])


def bug_layers_not_multiplied(d, L, V, d_ff=None):
    return _total(d, 1, V, d_ff)


_GOT = {}  # the submission's latest values, so a bug with several written forms picks its closest

EMBED_TWICE = "embedding counted twice (the output head is tied to the token embedding: count V*d once)"
DEFAULT_SWIGLU = "default FFN width taken as 8/3 d_model (SwiGLU's); the default d_ff is 4 * d_model"
EXPLICIT_IGNORED = "the d_ff argument ignored (4 * d_model used anyway)"
THREE_MATS = "FFN counted with three matrices (SwiGLU's gate, up, down); this model has two: W_1 and W_2"
COUNT_BUGS = {
    DEFAULT_SWIGLU: bug_default_swiglu,
    EXPLICIT_IGNORED: bug_explicit_ignored,
    THREE_MATS: bug_three_ffn_matrices,
    "FFN counted as one d_model x d_ff matrix (there are two: W_1 and W_2)": bug_one_ffn_matrix,
    EMBED_TWICE: bug_embedding_twice,
    "embedding left out (this count includes the tied token embedding, V*d, once)": bug_embedding_left_out,
    "attention counted as 3 d^2 (the output projection W_O is missing)": bug_no_output_projection,
    "biases counted (this model has none)": bug_biases_counted,
    "LayerNorm parameters counted (they are left out of this count)": bug_layernorm_counted,
    "per-layer parameters not multiplied by n_layers": bug_layers_not_multiplied,
}


def bug_forward_only(n, d):
    return 2.0 * float(n) * float(d)


def bug_three(n, d):
    return 3.0 * float(n) * float(d)


def bug_no_factor(n, d):
    return float(n) * float(d)


def bug_int64_overflow(n, d):
    if not all(isinstance(x, (int, np.integer)) for x in (n, d)):
        return None  # only integer inputs can wrap
    with np.errstate(over="ignore"):
        return float(np.int64(6) * np.int64(n) * np.int64(d))


OVERFLOW = "int64 overflow: 6 * N * D on NumPy ints wraps past 9.2e18 (convert to float first)"
FLOPS_BUGS = {
    "C = 2ND counts the forward pass only (training is ~6ND: 2ND forward + 4ND backward)": bug_forward_only,
    "C = 3ND (the backward pass costs ~4ND, twice the forward's 2ND)": bug_three,
    "C = ND (the factor 6 is missing: 2 FLOPs per multiply-add, forward and backward)": bug_no_factor,
    OVERFLOW: bug_int64_overflow,
}


def bug_d_over_20(c):
    """D = N / 20, solved consistently (C = 6 N N / 20, which gives exactly the numbers of
    (N, D) returned as (D, N)) or with N from the right formula."""
    n1 = math.sqrt(20.0 * c / 6.0)
    n2 = math.sqrt(c / 120.0)
    return C.nearest(_GOT.get("optimal"), [np.array([n1, n1 / 20.0]), np.array([n2, n2 / 20.0])])


def _n_d(n):
    return np.array([n, 20.0 * n])


# Solving C = 6 N (N / 20) gives N = sqrt(C / 0.3) = 20 sqrt(C / 120): exactly the swapped (D, N).
D_OVER_20 = ("D = N / 20, or the tuple returned as (D, N) (on every input they give the same numbers): "
             "Chinchilla's rule is D = 20 N, returned as (N, D)")
OPTIMAL_BUGS = {
    D_OVER_20: bug_d_over_20,
    "C = 2ND used to solve for N (training compute is 6ND)": lambda c: _n_d(math.sqrt(c / 40.0)),
    "the 20 tokens per parameter left out when solving for N (N = sqrt(C / 6))": lambda c: _n_d(math.sqrt(c / 6.0)),
    "the 6 FLOPs per parameter-token left out when solving for N (N = sqrt(C / 20))":
        lambda c: _n_d(math.sqrt(c / 20.0)),
    "no square root: N = C / 120 (C = 120 N^2, so N = sqrt(C / 120))": lambda c: _n_d(c / 120.0),
}


# --- calling the submission ------------------------------------------------------------------

def _number(value, what):
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        C.fail(f"`{what}` returned {value!r} ({type(value).__name__}); expected a number.")
    return value


def call_count(sub, d, L, V, d_ff=None):
    args = (d, L, V) if d_ff is None else (d, L, V, d_ff)
    got = _number(sub.fn("count_params")(*args), "count_params")
    _GOT["count"] = got
    return got


def check_count(sub, d, L, V, d_ff=None, expected=None, case=None):
    got = call_count(sub, d, L, V, d_ff)
    expected = ref_count(d, L, V, d_ff) if expected is None else expected
    desc = case or C.describe(d_model=d, n_layers=L, vocab=V, d_ff=d_ff)
    # Counts are exact integers: a difference of one parameter is a failure.
    C.expect_close(float(got), float(expected), what="count_params", case=desc, rtol=0.0, atol=0.5,
                   bugs={label: (lambda f=f: f(d, L, V, d_ff)) for label, f in COUNT_BUGS.items()})
    return got


def check_flops(sub, n, d, rtol=1e-9):
    got = _number(sub.fn("train_flops")(n, d), "train_flops")
    C.expect_close(float(got), ref_flops(n, d), what="train_flops", rtol=rtol, atol=0.0,
                   case=f"n_params={n!r} ({type(n).__name__}), n_tokens={d!r} ({type(d).__name__})",
                   bugs={label: (lambda f=f: f(n, d)) for label, f in FLOPS_BUGS.items()})
    return got


def call_optimal(sub, c):
    got = C.unpack(sub.fn("chinchilla_optimal")(c), 2, "chinchilla_optimal")
    got = np.array([float(_number(x, "chinchilla_optimal")) for x in got])
    _GOT["optimal"] = got
    return got


def check_optimal(sub, c, expected=None, case=None, rtol=1e-6):
    got = call_optimal(sub, c)
    expected = np.array(ref_optimal(c)) if expected is None else np.asarray(expected, dtype=np.float64)
    C.expect_close(got, expected, what="chinchilla_optimal (N, D)", case=case or f"compute_flops={c:g}",
                   rtol=rtol, atol=0.0, bugs={label: (lambda f=f: f(c)) for label, f in OPTIMAL_BUGS.items()})
    return got


# --- count_params ------------------------------------------------------------------------------

@pytest.mark.parametrize("d,L,V", [(64, 3, 1000), (768, 12, 50257), (100, 7, 257), (1024, 24, 32000)])
def test_count_params_default_ffn(sub, d, L, V):
    """count_params with the default d_ff = 4 d_model equals 12 L d^2 + V d"""
    check_count(sub, d, L, V)


@pytest.mark.parametrize("d,L,V,d_ff", [(96, 5, 333, 200), (512, 8, 32000, 1000), (4096, 32, 32000, 11008)])
def test_count_params_explicit_d_ff(sub, d, L, V, d_ff):
    """count_params uses an explicit d_ff: L (4 d^2 + 2 d d_ff) + V d"""
    check_count(sub, d, L, V, d_ff)


def test_count_params_gpt3_shape(sub):
    """GPT-3 175B's shape (d_model 12288, 96 layers, V 50257) gives 174,563,733,504 (about 174.6B)"""
    check_count(sub, 12288, 96, 50257, expected=174_563_733_504,
                case="GPT-3's shape: 12 * 96 * 12288^2 + 50257 * 12288 = 174,563,733,504")


def test_count_params_returns_int(sub):
    """count_params returns an int (a parameter count is exact)"""
    got = call_count(sub, 64, 3, 1000)
    C.expect(isinstance(got, (int, np.integer)),
             f"count_params returned {got!r} of type {type(got).__name__}; expected an int. Compute with the "
             "integer arguments (`4 * d_model`, not `8 / 3 * d_model` or `** 0.5`), or wrap the result in int().")


def test_count_params_d_ff_slope(sub):
    """Raising d_ff by 1 adds exactly 2 * d_model parameters per layer"""
    d, L, V = 80, 4, 500
    a, b = call_count(sub, d, L, V, 300), call_count(sub, d, L, V, 301)
    step = b - a
    C.expect(step == 2 * d * L,
             f"count_params(d_ff=301) - count_params(d_ff=300) = {step} for d_model={d}, n_layers={L}; expected "
             f"2 * d_model * n_layers = {2 * d * L} (W_1 gains a column and W_2 a row in every layer).",
             {3 * d * L: THREE_MATS, 0: EXPLICIT_IGNORED}.get(step))


# --- train_flops -------------------------------------------------------------------------------

@pytest.mark.parametrize("n,d", [
    (123_532_032, 10_000_000_000),
    (70_000_000_000, 1_400_000_000_000),  # Chinchilla: 6 * 70e9 * 1.4e12 = 5.88e23
    (1.5e9, 3.0e10),
    (174_563_733_504, 300_000_000_000),  # GPT-3: about 3.14e23 (Brown et al., 2020)
])
def test_train_flops(sub, n, d):
    """train_flops = 6 N D (Python ints and floats)"""
    check_flops(sub, n, d)


def test_train_flops_numpy_ints(sub):
    """train_flops is right for NumPy int64 inputs whose product passes 9.2e18 (no integer overflow)"""
    check_flops(sub, np.int64(70_000_000_000), np.int64(1_400_000_000_000))


def test_train_flops_returns_float(sub):
    """train_flops returns a float"""
    got = _number(sub.fn("train_flops")(1_000_000, 2_000_000), "train_flops")
    C.expect(isinstance(got, (float, np.floating)),
             f"train_flops returned {got!r} of type {type(got).__name__}; expected a float (FLOP counts of real "
             "runs pass the int64 range, 9.2e18): return float(6 * N * D), or multiply by 6.0.")


# --- chinchilla_optimal ------------------------------------------------------------------------

def test_chinchilla_70b(sub):
    """chinchilla_optimal(5.88e23) gives Chinchilla itself: N = 70e9 parameters, D = 1.4e12 tokens"""
    check_optimal(sub, 5.88e23, expected=(70e9, 1.4e12),
                  case="C = 6 * 70e9 * 1.4e12 = 5.88e23 (Hoffmann et al., 2022: 70B parameters, 1.4T tokens)")


@pytest.mark.parametrize("c", [1e21, 3.14e23, 1e25, 6e19])
def test_chinchilla_optimal(sub, c):
    """chinchilla_optimal(C) = (sqrt(C / 120), 20 sqrt(C / 120))"""
    check_optimal(sub, c)


def test_chinchilla_consistent(sub):
    """The returned (N, D) spends exactly the budget (6 N D = C) at 20 tokens per parameter"""
    for c in (2.5e22, 7.7e24):
        n, d = call_optimal(sub, c)
        bug = C.matching_bug(np.array([n, d]), {label: (lambda f=f: f(c)) for label, f in OPTIMAL_BUGS.items()},
                             1e-6, 0.0)
        C.expect(math.isclose(6.0 * n * d, c, rel_tol=1e-6),
                 f"for C = {c:g}, the returned N = {n:.4g}, D = {d:.4g} give 6 N D = {6 * n * d:.4g}, not C.", bug)
        C.expect(math.isclose(d, 20.0 * n, rel_tol=1e-6),
                 f"for C = {c:g}, D / N = {d / n:.4g}; Chinchilla's rule is 20 tokens per parameter.", bug)
