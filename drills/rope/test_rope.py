"""Hidden suite for the `rope` drill. Never copied into the learner's workspace."""
import numpy as np
import pytest

from tfprep.content.reference_impls.rope import apply_rope as reference
from tfprep.content.reference_impls.rope import rope_frequencies
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


# --- float32 angles ------------------------------------------------------------------------
# LLaMA and Hugging Face compute theta_i and p * theta_i in float32; the contract accepts that.
# Bound on the angle error, with u = 2^-24 (float32's unit roundoff) and p < 2^24 (exact):
#   theta~ = fl(1 / fl(base ** fl(2i/d))), angle~ = fl(p * theta~)
#   - fl(2i/d) moves the exponent e by <= e*u, so theta by <= ln(base)*e*base^-e * u <= u/e_nat
#     (max of y*exp(-y) is 1/e_nat ~ 0.37), i.e. <= 0.37*p*u on the angle;
#   - the power (<= 1 ulp: 2u relative), the reciprocal (u) and the product p*theta (u), each
#     relative to p*theta <= p: <= 4*p*u together.
#   So |angle~ - angle| <= 4.4 * p * u (measured worst over bases 10..1e6, d 2..128: 2.8 * p * u);
#   the suite allows F32_ANGLE_ERR = 5 * p * u. Rotating a pair of length r by an angle off by
#   delta moves it by 2 r sin(delta/2) <= r * delta, so an output entry may be off by
#   5 * u * p * r. Cos/sin rounded to float32 add <= 2u * r, covered by atol 1e-5.
#   For the positions used here: p < 8 -> 2.4e-6 * r; p < 106 -> 3.2e-5 * r; p < 2048 (random
#   positions) -> 6.1e-4 * r, with r <= ~8 for these inputs (entries ~ N(0, 2^2)): atol <= ~5e-3.
#   Every classic bug moves some entry by O(r), three orders of magnitude more.
U32 = 2.0 ** -24
F32_ANGLE_ERR = 5 * U32  # per unit of position
F64_NOISE = 2.0 ** -40  # per unit of position: float64 angles are ~2^-50 * p off; float32 ones ~2^-24 * p
_float32_seen = {"dev": 0.0, "pmax": 0}


def pair_norms(x, interleaved):
    """r_i = |(a_i, b_i)| for every pair of x in the given layout, shape (..., T, d/2)."""
    d = x.shape[-1]
    a, b = (x[..., 0::2], x[..., 1::2]) if interleaved else (x[..., : d // 2], x[..., d // 2:])
    return np.hypot(a, b)


def float32_atol(x, positions, interleaved, atol=1e-5):
    """The statement's atol, widened to what float32 angles can cost on this input (see above)."""
    p_max = float(np.max(positions)) if np.size(positions) else 0.0
    r_max = float(np.max(pair_norms(np.asarray(x, dtype=np.float64), interleaved), initial=0.0))
    return max(atol, F32_ANGLE_ERR * p_max * r_max)


@pytest.fixture(scope="module", autouse=True)
def _float32_note():
    yield
    dev, pmax = _float32_seen["dev"], _float32_seen["pmax"]
    if dev:
        C.note(
            f"Angles computed in float32 (as in LLaMA and Hugging Face): accepted. Here the output is up "
            f"to {dev:.1g} off a float64 computation (positions <= {pmax}). The error grows with the "
            "position: the angle p*theta is off by about p * 2^-24 rad, ~2e-3 rad at p = 32k and ~8e-3 rad "
            "at p = 128k, which moves each rotated pair by that fraction of its length and a q.k score by "
            "up to twice that fraction of |q||k|. Computing the angles in float64 (casting cos/sin to x's "
            "dtype afterwards) avoids it.")


def run_case(sub, x, positions, base=None, interleaved=None, rtol=1e-4, atol=1e-5):
    got = call(sub, x, positions, base, interleaved)
    b = 10000.0 if base is None else base
    il = True if interleaved is None else interleaved
    case = C.describe(x=x, positions=positions, base=b, interleaved=il)
    expected = reference(x.astype(np.float64), positions, b, il)
    tol = float32_atol(x, positions, il, atol)
    if tol > atol:
        case += f" (atol raised to {tol:.2g} to allow float32 angles at positions up to {np.max(positions)})"
    C.expect_close(got, expected, what="apply_rope(x, positions)",
                   case=case, rtol=rtol, atol=tol, bugs=known_bugs(x, positions, b, il))
    out = C.as_array(got, "apply_rope(x, positions)")
    if x.dtype == np.float64:  # float32 inputs deviate anyway; only float64 ones reveal the angles
        dev = float(np.max(np.abs(out - expected), initial=0.0))
        p_max = int(np.max(positions))
        r_max = float(np.max(pair_norms(x, il)))
        if dev > F64_NOISE * (p_max + 1) * r_max:
            _float32_seen["dev"] = max(_float32_seen["dev"], dev)
            _float32_seen["pmax"] = max(_float32_seen["pmax"], p_max)
    return out


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
    bug = C.matching_bug(out, known_bugs(x, pos, 10000.0, interleaved), 1e-4, float32_atol(x, pos, interleaved))
    C.expect(out.shape == x.shape, f"apply_rope returned shape {out.shape}, expected {x.shape}.", bug)
    n_in, n_out = np.linalg.norm(x, axis=-1), np.linalg.norm(out, axis=-1)
    # any angle, float32 ones included, keeps the norm: only cos/sin rounding (~1e-7) moves it
    C.expect(np.allclose(n_out, n_in, rtol=1e-4, atol=1e-5),
             f"the norm of a vector changed (ratio out/in ranges {np.min(n_out / n_in):.4g}.."
             f"{np.max(n_out / n_in):.4g}): RoPE must rotate each pair, which keeps lengths.", bug)


@pytest.mark.parametrize("interleaved", [True, False])
def test_relative_position_invariance(sub, interleaved):
    """<rope(q, m), rope(k, n)> depends only on m - n"""
    d = 16
    g = C.rng(9)
    q, k = C.randn(g, d, scale=2.0), C.randn(g, d, scale=2.0)
    m = np.array([60, 61, 75, 200, 1003, 4000])  # n = m - offset stays >= 0: positions are non-negative
    # Pair by pair, <R(m) q_i, R(n) k_i> = r_q,i r_k,i cos(phi_i + (m - n) theta_i): an angle error
    # delta in q's or k's rotation moves the term by <= r_q,i r_k,i |delta| (see F32_ANGLE_ERR).
    scale = float(np.sum(pair_norms(q, interleaved) * pair_norms(k, interleaved)))  # >= |every dot|
    fn = sub.fn(FN)
    for offset in (0, 3, 50, -20):
        n = m - offset
        qs, ks = np.tile(q, (len(m), 1)), np.tile(k, (len(m), 1))
        rq = C.as_array(fn(qs.copy(), m, interleaved=interleaved), "apply_rope(q, m)")
        rk = C.as_array(fn(ks.copy(), n, interleaved=interleaved), "apply_rope(k, n)")
        f32 = float32_atol(qs, np.concatenate([m, n]), interleaved)
        bug = C.matching_bug(rq, known_bugs(qs, m, 10000.0, interleaved), 1e-4, f32)
        C.expect(rq.shape == rk.shape == (len(m), d), f"apply_rope returned shape {rq.shape}, expected {(len(m), d)}.",
                 bug)
        dots = np.einsum("td,td->t", rq, rk)  # (len(m),)
        # the statement's tolerance, plus what float32 angles at m, n and m[0], n[0] can cost
        tol = 1e-5 + 1e-4 * abs(dots[0]) + F32_ANGLE_ERR * scale * (m + n + m[0] + n[0])
        diff = np.abs(dots - dots[0])
        j = int(np.argmax(diff - tol))
        rel = "n = m" if offset == 0 else f"n = m - {offset}" if offset > 0 else f"n = m + {-offset}"
        C.expect(np.all(diff <= tol),
                 f"q rotated at m and k rotated at {rel} must give the same dot product for "
                 f"every m (it depends only on m - n), but m = {m[0]} gives {dots[0]:.6g} and m = {m[j]} gives "
                 f"{dots[j]:.6g}: a difference of {dots[j] - dots[0]:.3g} (tolerance {tol[j]:.2g}); "
                 f"all m tried: {m.tolist()}. Each pair must turn by the same angle per position in q and "
                 "in k, and both members of a pair by the same angle.", bug)
