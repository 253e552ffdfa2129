"""Hidden suite for the `positional-encoding` drill. Never copied into the learner's workspace."""
import numpy as np
import pytest

from tfprep.content.reference_impls.positional_encoding import sinusoidal_encoding as reference
from tfprep.grading import checks as C

FN = "sinusoidal_encoding"


# --- known bugs: what each classic mistake would return on the same inputs -----------------

def _interleave(sin, cos):
    pe = np.empty((sin.shape[0], sin.shape[1] + cos.shape[1]))
    pe[:, 0::2], pe[:, 1::2] = sin, cos
    return pe


def _table(seq_len, d_model, inv_freq_exponent, pos=None):
    """Interleaved table with angle = pos / base^(exponent) for the given exponents per pair."""
    pos = np.arange(seq_len, dtype=np.float64)[:, None] if pos is None else pos
    angle = pos / inv_freq_exponent
    return _interleave(np.sin(angle), np.cos(angle[:, : d_model // 2]))


def bug_concatenated(seq_len, d_model, base=10000.0):
    angle = np.arange(seq_len)[:, None] / base ** (np.arange(0, d_model, 2) / d_model)
    return np.concatenate([np.sin(angle), np.cos(angle)], axis=1)[:, :d_model]


def bug_exponent_i(seq_len, d_model, base=10000.0):
    return _table(seq_len, d_model, base ** (np.arange((d_model + 1) // 2) / d_model))


def bug_exponent_4i(seq_len, d_model, base=10000.0):
    # `for i in range(0, d, 2): ... base ** (2 * i / d)`: i already is the even index 2i
    return _table(seq_len, d_model, base ** (2 * np.arange(0, d_model, 2) / d_model))


def bug_column_exponent(seq_len, d_model, base=10000.0, two=1):
    j = np.arange(d_model)
    angle = np.arange(seq_len)[:, None] / base ** (two * j / d_model)  # (T, D): every column its own frequency
    return np.where(j % 2 == 0, np.sin(angle), np.cos(angle))


def bug_column_exponent_2j(seq_len, d_model, base=10000.0):
    # the loop above with the cos column written as base ** (2 * (i + 1) / d), a widely copied form
    return bug_column_exponent(seq_len, d_model, base, two=2)


def bug_swapped(seq_len, d_model, base=10000.0):
    angle = np.arange(seq_len)[:, None] / base ** (np.arange(0, d_model, 2) / d_model)
    return _interleave(np.cos(angle), np.sin(angle[:, : d_model // 2]))


def bug_frequency_inverted(seq_len, d_model, base=10000.0):
    return _table(seq_len, d_model, base ** (-np.arange(0, d_model, 2) / d_model))


def bug_base_ignored(seq_len, d_model, base=10000.0):
    return None if base == 10000.0 else reference(seq_len, d_model)


def bug_positions_from_one(seq_len, d_model, base=10000.0):
    return _table(seq_len, d_model, base ** (np.arange(0, d_model, 2) / d_model),
                  pos=np.arange(1, seq_len + 1, dtype=np.float64)[:, None])


BUGS = {
    "sin and cos blocks concatenated instead of interleaved": bug_concatenated,
    "exponent i/d instead of 2i/d": bug_exponent_i,
    "exponent 4i/d instead of 2i/d (the even column index 2i doubled again)": bug_exponent_4i,
    "each column its own frequency (cos columns use exponent (2i+1)/d)": bug_column_exponent,
    "each column its own frequency with exponent 2j/d for column j (sin 4i/d, cos (4i+2)/d)":
        bug_column_exponent_2j,
    "sin and cos swapped (sin goes on the even columns)": bug_swapped,
    "angle multiplied by base^(2i/d) instead of divided": bug_frequency_inverted,
    "`base` argument ignored (10000 hard-coded)": bug_base_ignored,
    "positions counted from 1 instead of 0": bug_positions_from_one,
}


def known_bugs(seq_len, d_model, base):
    return {label: (lambda f=f: f(seq_len, d_model, base)) for label, f in BUGS.items()}


def run_case(sub, seq_len, d_model, base=None):
    fn = sub.fn(FN)
    got = fn(seq_len, d_model) if base is None else fn(seq_len, d_model, base=base)
    base = 10000.0 if base is None else base
    C.expect_close(got, reference(seq_len, d_model, base), what="pe",
                   case=f"seq_len={seq_len}, d_model={d_model}, base={base:g}", bugs=known_bugs(seq_len, d_model, base))
    return C.as_array(got, "pe")


@pytest.mark.parametrize("seq_len,d_model", [(10, 16), (50, 64), (1, 8), (33, 6)])
def test_even_width(sub, seq_len, d_model):
    """The table matches the reference (even d_model, default base)"""
    run_case(sub, seq_len, d_model)


@pytest.mark.parametrize("seq_len,d_model", [(12, 7), (20, 1), (9, 13)])
def test_odd_width(sub, seq_len, d_model):
    """Odd d_model: the last column is a sin"""
    run_case(sub, seq_len, d_model)


# A wrong exponent c * 2i/d at base b equals `base` ignored (10000^(2i/d)) when b^c = 10000: c = 2
# (4i/d, and the sin columns of 2j/d) at b = 100, c = 1/2 (i/d) at b = 1e8, c = 1 (sin columns of
# j/d) at b = 10000. So not base 100 (it once named the 4i/d bug "base ignored"): 500 and 10.
@pytest.mark.parametrize("seq_len,d_model,base", [(16, 8, 500.0), (25, 10, 10.0)])
def test_other_base(sub, seq_len, d_model, base):
    """A base other than 10000 is honoured"""
    run_case(sub, seq_len, d_model, base)


def test_position_zero(sub):
    """Row 0 is [0, 1, 0, 1, ...]: sin(0) on even columns, cos(0) on odd ones"""
    pe = C.as_array(sub.fn(FN)(4, 9), "pe")
    bug = C.matching_bug(pe, known_bugs(4, 9, 10000.0), 1e-4, 1e-5)
    C.expect(pe.shape == (4, 9), f"pe has shape {pe.shape}, expected (4, 9).", bug)
    want = np.array([0, 1, 0, 1, 0, 1, 0, 1, 0], dtype=float)
    C.expect(np.allclose(pe[0], want, atol=1e-9),
             f"row 0 (position 0) is {np.round(pe[0], 3).tolist()}, expected {want.tolist()}.", bug)


def test_pairs_on_the_unit_circle(sub):
    """Each column pair (2i, 2i+1) is (sin, cos) of one angle: sin^2 + cos^2 = 1"""
    pe = C.as_array(sub.fn(FN)(30, 12), "pe")
    bug = C.matching_bug(pe, known_bugs(30, 12, 10000.0), 1e-4, 1e-5)
    C.expect(pe.shape == (30, 12), f"pe has shape {pe.shape}, expected (30, 12).", bug)
    r2 = pe[:, 0::2] ** 2 + pe[:, 1::2] ** 2
    C.expect(np.allclose(r2, 1.0, atol=1e-9),
             f"columns 2i and 2i+1 are not the sin and cos of one angle (sin^2 + cos^2 ranges "
             f"{r2.min():.3g}..{r2.max():.3g}).", bug)


def test_relative_position(sub):
    """PE[p] . PE[p + k] depends only on the offset k, not on p"""
    T, D = 40, 16
    pe = C.as_array(sub.fn(FN)(T, D), "pe")
    bug = C.matching_bug(pe, known_bugs(T, D, 10000.0), 1e-4, 1e-5)
    C.expect(pe.shape == (T, D), f"pe has shape {pe.shape}, expected ({T}, {D}).", bug)
    for k in (1, 3, 10):
        dots = np.einsum("pd,pd->p", pe[:-k], pe[k:])  # (T - k,)
        C.expect(np.allclose(dots, dots[0], atol=1e-8),
                 f"PE[p] . PE[p + {k}] varies with p ({dots.min():.4g}..{dots.max():.4g}): a pair must hold "
                 "the sin and the cos of the same frequency.", bug)
