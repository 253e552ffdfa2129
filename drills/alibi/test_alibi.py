"""Hidden suite for the `alibi` drill. Never copied into the learner's workspace."""
import math

import numpy as np
import pytest

from tfprep.content.reference_impls.alibi import _geometric_slopes
from tfprep.content.reference_impls.alibi import alibi_bias as ref_bias
from tfprep.content.reference_impls.alibi import alibi_slopes as ref_slopes
from tfprep.grading import checks as C


# --- known bugs: what each classic mistake would return on the same inputs -----------------

def _paper_rule(geometric, n_heads, extra_positions=slice(0, None, 2)):
    """The paper's rule for any head count, built on a (possibly wrong) geometric sequence."""
    n_closest = 2 ** math.floor(math.log2(n_heads))
    extra = geometric(2 * n_closest)[extra_positions][: n_heads - n_closest]
    return np.concatenate([geometric(n_closest), extra])


def bug_geometric_any_n(n_heads):
    return _geometric_slopes(n_heads)


def bug_odd_positions(n_heads):
    return _paper_rule(_geometric_slopes, n_heads, slice(1, None, 2))


def bug_next_power(n_heads):
    return _geometric_slopes(2 ** math.ceil(math.log2(n_heads)))[:n_heads]


def bug_start_at_one(n_heads):
    return _paper_rule(lambda n: (2.0 ** (-8.0 / n)) ** np.arange(n), n_heads)


SLOPE_BUGS = {
    "wrong slopes for 6 or 12 heads: 2^(-8/n) geometric sequence used for a head count that is "
    "not a power of two": bug_geometric_any_n,
    "wrong slopes for 6 or 12 heads: extra slopes taken from positions 1, 3, 5... of the 2n' "
    "sequence (they duplicate the first n')": bug_odd_positions,
    "wrong slopes for 6 or 12 heads: first n slopes of the next power of two's sequence": bug_next_power,
    "slopes start at 1 instead of 2^(-8/n) (exponent off by one)": bug_start_at_one,
}


def _bias_from(slopes_fn):
    def bias(n_heads, seq_len):
        pos = np.arange(seq_len)
        return slopes_fn(n_heads)[:, None, None] * (pos[None, :] - pos[:, None])
    return bias


def bug_sign_flipped(n_heads, seq_len):
    return -ref_bias(n_heads, seq_len)


SIGN_FLIPPED = "sign flipped: the bias must be slopes[h] * (j - i), <= 0 for past keys"
BIAS_BUGS = {**{label: _bias_from(f) for label, f in SLOPE_BUGS.items()}, SIGN_FLIPPED: bug_sign_flipped}
BUGS = {**SLOPE_BUGS, SIGN_FLIPPED: bug_sign_flipped}


def _causal_part(bias, expected):
    """`bias` on j <= i, `expected` on the (unchecked) future half: indices stay (h, i, j)."""
    seq_len = expected.shape[-1]
    return np.where(np.tril(np.ones((seq_len, seq_len), dtype=bool)), np.asarray(bias, dtype=np.float64), expected)


def slopes_case(sub, n_heads):
    got = sub.fn("alibi_slopes")(n_heads)
    bugs = {label: (lambda f=f: f(n_heads)) for label, f in SLOPE_BUGS.items()}
    C.expect_close(got, ref_slopes(n_heads), what="slopes", case=f"n_heads={n_heads}", bugs=bugs)


def bias_case(sub, n_heads, seq_len):
    got = C.as_array(sub.fn("alibi_bias")(n_heads, seq_len), "bias")
    case = f"n_heads={n_heads}, seq_len={seq_len}"
    bugs = {label: (lambda f=f: f(n_heads, seq_len)) for label, f in BIAS_BUGS.items()}
    C.expect(got.shape == (n_heads, seq_len, seq_len),
             f"bias has shape {got.shape} for {case}, expected {(n_heads, seq_len, seq_len)} (heads first).")
    expected = ref_bias(n_heads, seq_len)
    C.expect_close(_causal_part(got, expected), expected, what="bias (entries with j <= i)", case=case,
                   bugs={label: (lambda f=f: _causal_part(f(), expected)) for label, f in bugs.items()})


def test_slopes_eight_heads(sub):
    """8 heads give the paper's slopes 1/2, 1/4, ..., 1/256"""
    slopes_case(sub, 8)


@pytest.mark.parametrize("n_heads", [1, 2, 4, 16, 32])
def test_slopes_power_of_two(sub, n_heads):
    """Slopes for a power-of-two head count"""
    slopes_case(sub, n_heads)


@pytest.mark.parametrize("n_heads", [6, 12, 3, 5, 20])
def test_slopes_not_power_of_two(sub, n_heads):
    """Slopes for a head count that is not a power of two (the paper's rule)"""
    slopes_case(sub, n_heads)


def test_slopes_geometric(sub):
    """For 16 heads the slopes form a geometric sequence whose first term is its ratio"""
    s = C.as_array(sub.fn("alibi_slopes")(16), "slopes").astype(np.float64).ravel()
    C.expect(s.shape == (16,), f"alibi_slopes(16) has {s.size} values, expected 16.")
    C.expect(np.all(s > 0), "slopes must be positive: the sign of the penalty lives in (j - i).")
    ratios = s[1:] / s[:-1]
    C.expect(np.allclose(ratios, s[0], rtol=1e-6),
             f"consecutive slopes should all have ratio {s[0]:.6g} (the first slope); got ratios "
             f"{ratios.min():.6g}..{ratios.max():.6g}.", C.matching_bug(s, {k: (lambda f=f: f(16)) for k, f in SLOPE_BUGS.items()}, 1e-4, 1e-5))


@pytest.mark.parametrize("n_heads,seq_len", [(8, 7), (6, 5), (12, 9), (16, 4), (1, 3)])
def test_bias_matches_reference(sub, n_heads, seq_len):
    """Bias matches slopes[h] * (j - i) on the causal part"""
    bias_case(sub, n_heads, seq_len)


def test_bias_penalises_the_past(sub):
    """Past keys get a negative bias, the diagonal zero"""
    n_heads, seq_len = 4, 6
    got = C.as_array(sub.fn("alibi_bias")(n_heads, seq_len), "bias")
    C.expect(got.shape == (n_heads, seq_len, seq_len), f"bias has shape {got.shape}, expected {(n_heads, seq_len, seq_len)}.")
    i, j = np.tril_indices(seq_len, -1)
    past = got[:, i, j]
    C.expect(np.all(past < 0), "bias for past keys (j < i) should be negative so distant tokens are penalised; "
             f"found {int((past >= 0).sum())} entries >= 0.", SIGN_FLIPPED if np.all(past > 0) else None)
    C.expect(np.allclose(np.diagonal(got, axis1=1, axis2=2), 0.0), "bias[h, i, i] should be 0 (distance 0).")


def test_bias_relative_positions(sub):
    """The bias depends only on the distance i - j (shifting both changes nothing)"""
    n_heads, seq_len = 6, 8
    got = C.as_array(sub.fn("alibi_bias")(n_heads, seq_len), "bias").astype(np.float64)
    C.expect(got.shape == (n_heads, seq_len, seq_len), f"bias has shape {got.shape}, expected {(n_heads, seq_len, seq_len)}.")
    i, j = np.tril_indices(seq_len - 1)
    C.expect(np.allclose(got[:, i, j], got[:, i + 1, j + 1], rtol=1e-6, atol=1e-9),
             "bias[h, i, j] and bias[h, i+1, j+1] differ: ALiBi depends only on the distance i - j.")
