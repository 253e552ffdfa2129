"""Hidden suite for the `rope` drill. Never copied into the learner's workspace."""
import numpy as np
import pytest

from reference_impls.rope import apply_rope as reference
from reference_impls.rope import rope_frequencies
from tfprep.grading import checks as C

FN = "apply_rope"


# --- known bugs: what each classic mistake would return on the same inputs -----------------

def _turn(x, interleaved, minus=True):
    """The layout's 90-degree turn of every pair, (a, b) -> (-b, a), laid out like x."""
    d = x.shape[-1]
    a, b = (x[..., 0::2], x[..., 1::2]) if interleaved else (x[..., : d // 2], x[..., d // 2:])
    nb = -b if minus else b
    if interleaved:
        return np.stack([nb, a], axis=-1).reshape(x.shape)
    return np.concatenate([nb, a], axis=-1)


def _full_width(x, positions, base, interleaved, theta=None, tables_interleaved=None, minus=True, swap=False):
    """RoPE written as x * cos + turn(x) * sin with full-width (T, d) tables, as many learners do."""
    d = x.shape[-1]
    theta = rope_frequencies(d, base) if theta is None else theta
    angles = np.asarray(positions, dtype=np.float64)[:, None] * theta  # (T, d/2)
    tables_interleaved = interleaved if tables_interleaved is None else tables_interleaved
    full = np.repeat(angles, 2, axis=-1) if tables_interleaved else np.concatenate([angles, angles], axis=-1)
    cos, sin = np.cos(full), np.sin(full)
    if swap:
        cos, sin = sin, cos
    return x * cos + _turn(x, interleaved, minus) * sin


def bug_half_split_for_interleaved(x, positions, base=10000.0, interleaved=True):
    return reference(x, positions, base, interleaved=False) if interleaved else None


def bug_interleaved_for_half_split(x, positions, base=10000.0, interleaved=True):
    return None if interleaved else reference(x, positions, base, interleaved=True)


def bug_direction(x, positions, base=10000.0, interleaved=True):
    return reference(x, -np.asarray(positions), base, interleaved)


def bug_exponent_i(x, positions, base=10000.0, interleaved=True):
    d = x.shape[-1]
    return _full_width(x, positions, base, interleaved, theta=base ** (-np.arange(d // 2) / d))


def bug_exponent_sign(x, positions, base=10000.0, interleaved=True):
    return _full_width(x, positions, base, interleaved, theta=1.0 / rope_frequencies(x.shape[-1], base))


def bug_shift_by_one(x, positions, base=10000.0, interleaved=True):
    return reference(x, np.asarray(positions) + 1, base, interleaved)


def bug_positions_ignored(x, positions, base=10000.0, interleaved=True):
    T = x.shape[-2]
    return None if np.array_equal(positions, np.arange(T)) else reference(x, np.arange(T), base, interleaved)


def bug_base_ignored(x, positions, base=10000.0, interleaved=True):
    return None if base == 10000.0 else reference(x, positions, 10000.0, interleaved)


def bug_tables_other_layout(x, positions, base=10000.0, interleaved=True):
    return _full_width(x, positions, base, interleaved, tables_interleaved=not interleaved)


def bug_no_minus(x, positions, base=10000.0, interleaved=True):
    return _full_width(x, positions, base, interleaved, minus=False)


def bug_cos_sin_swapped(x, positions, base=10000.0, interleaved=True):
    return _full_width(x, positions, base, interleaved, swap=True)


BUGS = {
    "half-split layout used where interleaved=True asks for pairs (x[2i], x[2i+1])": bug_half_split_for_interleaved,
    "interleaved layout used where interleaved=False asks for pairs (x[i], x[i + d/2])": bug_interleaved_for_half_split,
    "rotation direction flipped (rotated by -p*theta)": bug_direction,
    "frequency exponent wrong: base^(-i/d) instead of base^(-2i/d)": bug_exponent_i,
    "frequency exponent sign flipped: base^(+2i/d) instead of base^(-2i/d)": bug_exponent_sign,
    "positions shifted by one (position 0 must be the identity)": bug_shift_by_one,
    "`positions` ignored (rows rotated as if at 0..T-1)": bug_positions_ignored,
    "`base` argument ignored (10000 hard-coded)": bug_base_ignored,
    "cos/sin tables laid out for the other layout (the two members of a pair get different angles)":
        bug_tables_other_layout,
    "the 90-degree turn of the pair is missing its minus sign (not a rotation)": bug_no_minus,
    "cos and sin swapped (position 0 is not the identity)": bug_cos_sin_swapped,
}


def known_bugs(x, positions, base, interleaved):
    return {label: (lambda f=f: f(x, positions, base, interleaved)) for label, f in BUGS.items()}


def call(sub, x, positions, base=None, interleaved=None):
    kwargs = {} if base is None else {"base": base}
    if interleaved is not None:
        kwargs["interleaved"] = interleaved
    return sub.fn(FN)(x, positions, **kwargs)


def run_case(sub, x, positions, base=None, interleaved=None, rtol=1e-4, atol=1e-5):
    got = call(sub, x, positions, base, interleaved)
    b = 10000.0 if base is None else base
    il = True if interleaved is None else interleaved
    case = C.describe(x=x, positions=positions, base=b, interleaved=il)
    C.expect_close(got, reference(x.astype(np.float64), positions, b, il), what="apply_rope(x, positions)",
                   case=case, rtol=rtol, atol=atol, bugs=known_bugs(x, positions, b, il))
    return C.as_array(got, "apply_rope(x, positions)")


def positions_for(kind, T, seed):
    if kind == "arange":
        return np.arange(T)
    if kind == "offset":  # a decode step after a 100-token prefix
        return np.arange(100, 100 + T)
    return C.rng(seed).integers(0, 2048, size=T)  # arbitrary, unsorted, possibly repeated


CASES = [
    (0, (5, 8), "arange", None),
    (1, (2, 7, 16), "offset", None),
    (2, (2, 3, 6, 4), "random", None),
    (3, (9, 32), "random", 500.0),
    (4, (3, 2), "offset", None),
]


@pytest.mark.parametrize("seed,shape,pos_kind,base", CASES)
def test_interleaved_matches_reference(sub, seed, shape, pos_kind, base):
    """interleaved=True (the default) matches the reference: pairs (x[2i], x[2i+1])"""
    x = C.randn(C.rng(seed), *shape, scale=2.0)
    run_case(sub, x, positions_for(pos_kind, shape[-2], seed), base)


@pytest.mark.parametrize("seed,shape,pos_kind,base", CASES)
def test_half_split_matches_reference(sub, seed, shape, pos_kind, base):
    """interleaved=False matches the reference: pairs (x[i], x[i + d/2])"""
    x = C.randn(C.rng(seed), *shape, scale=2.0)
    run_case(sub, x, positions_for(pos_kind, shape[-2], seed), base, interleaved=False)


@pytest.mark.parametrize("interleaved", [True, False])
def test_float32(sub, interleaved):
    """float32 inputs match the reference (both layouts)"""
    x = C.randn(C.rng(5), 2, 6, 16, scale=2.0, dtype=np.float32)
    run_case(sub, x, np.arange(3, 9), None, interleaved, rtol=2e-3, atol=2e-4)


@pytest.mark.parametrize("interleaved", [True, False])
def test_position_zero_is_identity(sub, interleaved):
    """Position 0 leaves every vector unchanged"""
    x = C.randn(C.rng(6), 2, 4, 8, scale=2.0)
    pos = np.zeros(4, dtype=np.int64)
    got = call(sub, x, pos, interleaved=interleaved)
    C.expect_close(got, x, what="apply_rope(x, positions=0)", case=C.describe(x=x, interleaved=interleaved) +
                   ", every position 0 (the rotation by angle 0 must be the identity)",
                   bugs=known_bugs(x, pos, 10000.0, interleaved))


@pytest.mark.parametrize("interleaved", [True, False])
def test_norm_preserved(sub, interleaved):
    """Rotation preserves the norm of every vector"""
    x = C.randn(C.rng(7), 3, 10, 16, scale=2.0)
    pos = C.rng(8).integers(0, 4096, size=10)
    out = C.as_array(call(sub, x, pos, interleaved=interleaved), "apply_rope(x, positions)")
    bug = C.matching_bug(out, known_bugs(x, pos, 10000.0, interleaved), 1e-4, 1e-5)
    C.expect(out.shape == x.shape, f"apply_rope returned shape {out.shape}, expected {x.shape}.", bug)
    n_in, n_out = np.linalg.norm(x, axis=-1), np.linalg.norm(out, axis=-1)
    C.expect(np.allclose(n_out, n_in, rtol=1e-6),
             f"the norm of a vector changed (ratio out/in ranges {np.min(n_out / n_in):.4g}.."
             f"{np.max(n_out / n_in):.4g}): RoPE must rotate each pair, which keeps lengths.", bug)


@pytest.mark.parametrize("interleaved", [True, False])
def test_relative_position_invariance(sub, interleaved):
    """<rope(q, m), rope(k, n)> depends only on m - n"""
    d = 16
    g = C.rng(9)
    q, k = C.randn(g, d, scale=2.0), C.randn(g, d, scale=2.0)
    m = np.array([3, 8, 20, 103, 1003, 4000])
    fn = sub.fn(FN)
    for offset in (0, 3, 50):
        n = m - offset
        rq = C.as_array(fn(np.tile(q, (len(m), 1)), m, interleaved=interleaved), "apply_rope(q, m)")
        rk = C.as_array(fn(np.tile(k, (len(m), 1)), n, interleaved=interleaved), "apply_rope(k, n)")
        bug = C.matching_bug(rq, known_bugs(np.tile(q, (len(m), 1)), m, 10000.0, interleaved), 1e-4, 1e-5)
        C.expect(rq.shape == rk.shape == (len(m), d), f"apply_rope returned shape {rq.shape}, expected {(len(m), d)}.",
                 bug)
        dots = np.einsum("td,td->t", rq, rk)  # (len(m),)
        C.expect(np.allclose(dots, dots[0], rtol=1e-6, atol=1e-8),
                 f"q rotated at m and k rotated at n = m - {offset} give dot products ranging "
                 f"{dots.min():.5g}..{dots.max():.5g} for m in {m.tolist()}; they must depend only on m - n "
                 "(each pair rotated by the same angle per position in q and k).", bug)
