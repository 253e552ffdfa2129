"""Hidden suite for the `relative-position-bias` drill. Never copied into the learner's workspace.

Buckets are integers, compared exactly; a wrong answer is named after the classic bug whose
bucketing returns exactly it on the same positions (and only when a single bug does).
"""
import numpy as np
import pytest

from tfprep.content.reference_impls.relative_position_bias import relative_position_bucket as reference
from tfprep.grading import checks as C

FN = "relative_position_bucket"


# --- known bugs: T5's bucketing with one classic mistake ---------------------------------------

def bucket(r, bidirectional=True, num_buckets=32, max_distance=128, *, sign=1, halve=True, split=True,
           causal_abs=False, clip=True, rounding=np.floor, log_of_ratio=True, span_all=False, log_max_only=False):
    """T5's bucketing with switches for the classic mistakes (defaults: the correct one)."""
    r = sign * np.asarray(r, dtype=np.int64)
    out = np.zeros_like(r)
    n = num_buckets
    if bidirectional:
        if halve:
            n = num_buckets // 2
        if split:
            out += (r > 0) * (num_buckets // 2)
        d = np.abs(r)
    else:
        d = np.abs(r) if causal_abs else np.maximum(-r, 0)
    max_exact = n // 2
    with np.errstate(divide="ignore", invalid="ignore"):
        num = np.log(np.maximum(d, 1) / (max_exact if log_of_ratio else 1))
        den = np.log(max_distance if log_max_only else max_distance / max_exact)
        large = max_exact + rounding(num / den * (n if span_all else n - max_exact)).astype(np.int64)
    if clip:
        large = np.minimum(large, n - 1)
    return out + np.where(d < max_exact, d, large)


SIGN = ("sign convention flipped (relative_position = key - query: keys after the query take the upper "
        "half, or bucket 0 when causal)")
NOT_HALVED = "bidirectional: num_buckets not halved (each direction gets num_buckets // 2)"
NO_SPLIT = "bidirectional: direction ignored (keys after the query use the upper half of the buckets)"
CAUSAL_ABS = "causal: keys after the query bucketed by their distance (they all share bucket 0)"
NO_CLIP = "log buckets off: not clipped to the last bucket at and beyond max_distance"
ROUNDED = "log buckets off: rounded instead of floored"
LOG_OF_D = "log buckets off: log(d) instead of log(d / max_exact)"
SPAN_ALL = "log buckets off: spread over all the buckets instead of the ones left after the exact half"
LOG_MAX = "log buckets off: divided by log(max_distance) instead of log(max_distance / max_exact)"

BUGS = {
    SIGN: dict(sign=-1),
    NOT_HALVED: dict(halve=False),
    NO_SPLIT: dict(split=False),
    CAUSAL_ABS: dict(causal_abs=True),
    NO_CLIP: dict(clip=False),
    ROUNDED: dict(rounding=np.round),
    LOG_OF_D: dict(log_of_ratio=False),
    SPAN_ALL: dict(span_all=True),
    LOG_MAX: dict(log_max_only=True),
}


def known_bugs(r, kw):
    return {label: (lambda flags=flags: bucket(r, **kw, **flags)) for label, flags in BUGS.items()}


# --- calling and comparing -------------------------------------------------------------------

def call(sub, r, **kw):
    return sub.fn(FN)(r, **kw)


def run_case(sub, r, why="", **kw):
    expected = reference(r, **kw)
    got = call(sub, r, **kw)
    arr = C.as_array(got, f"{FN}(...)")
    shown = f"relative_position={r!r}" if np.ndim(r) == 0 else C.describe(relative_position=np.asarray(r))
    case = ", ".join([shown] + [f"{k}={v!r}" for k, v in kw.items()])
    exp = np.asarray(expected)
    if arr.shape == exp.shape and np.array_equal(arr, exp):
        return arr
    if arr.shape == exp.shape and np.ndim(r) > 0:
        bad = np.argwhere(arr != exp)
        i = tuple(int(x) for x in bad[0])
        rp = int(np.asarray(r)[i])
        where = (f"{len(bad)} of {exp.size} buckets differ; first at relative_position={rp}: got "
                 f"{arr[i]}, expected {exp[i]}")
        bug, extra = C.diagnose(arr, known_bugs(r, kw), 0.0, 0.0, exp)
        C.fail(f"`{FN}` differs from the reference for {case}: {where}.{extra}" + (f"\n{why}" if why else ""), bug)
    C.expect_close(arr, exp, what=f"{FN}(...)", case=case, rtol=0, atol=0, bugs=known_bugs(r, kw))


DEFAULTS = dict(bidirectional=True, num_buckets=32, max_distance=128)

# Worked by hand for the defaults. Bidirectional: 16 buckets per direction, 8 exact; for d >= 8
# bucket = 8 + floor(2 * log2(d / 8)): 8..11 -> 8, 12..15 -> 9, 16..22 -> 10, 23..31 -> 11,
# 32..45 -> 12, 46..63 -> 13, 64..90 -> 14, 91.. -> 15; keys after the query add 16.
# Causal: 32 buckets, 16 exact; d >= 16: 16 + floor(16/3 * log2(d / 16)): 16..18 -> 16, ...,
# 113.. -> 31; every key after the query is bucket 0.
HAND = [
    (0, True, 0), (-1, True, 1), (1, True, 17), (-7, True, 7), (7, True, 23), (-8, True, 8), (-11, True, 8),
    (-12, True, 9), (-16, True, 10), (16, True, 26), (-22, True, 10), (-23, True, 11), (-64, True, 14),
    (-90, True, 14), (-91, True, 15), (-127, True, 15), (-128, True, 15), (-200, True, 15), (200, True, 31),
    (0, False, 0), (5, False, 0), (200, False, 0), (-15, False, 15), (-16, False, 16), (-18, False, 16),
    (-19, False, 17), (-112, False, 30), (-113, False, 31), (-128, False, 31), (-500, False, 31),
]


@pytest.mark.parametrize("bidirectional", [True, False])
def test_hand_worked_values(sub, bidirectional):
    """Single positions (Python ints) get the hand-worked buckets of T5's defaults"""
    mode = "bidirectional" if bidirectional else "causal"
    for r, bd, expected in HAND:
        if bd != bidirectional:
            continue
        got = call(sub, r, bidirectional=bidirectional)
        arr = C.as_array(got, f"{FN}({r})")
        if arr.shape != () or int(arr) != expected:
            labels = [label for label, flags in BUGS.items()
                      if arr.shape == () and bucket(r, bidirectional=bidirectional, **flags) == arr]
            shown = int(arr) if arr.shape == () else got
            C.fail(f"`{FN}({r}, bidirectional={bidirectional})` returned {shown!r}, expected {expected} "
                   f"({mode}, num_buckets=32, max_distance=128).", labels[0] if len(labels) == 1 else None)


@pytest.mark.parametrize("bidirectional", [True, False])
def test_full_range(sub, bidirectional):
    """Every position from -300 to 300 matches the reference (defaults)"""
    run_case(sub, np.arange(-300, 301), bidirectional=bidirectional)


@pytest.mark.parametrize("num_buckets,max_distance,bidirectional", [
    (64, 256, True), (64, 256, False), (16, 64, True), (8, 20, False), (10, 50, True), (32, 64, True),
])
def test_other_parameters(sub, num_buckets, max_distance, bidirectional):
    """Other num_buckets and max_distance (the formula, not the default numbers)"""
    run_case(sub, np.arange(-600, 601), bidirectional=bidirectional, num_buckets=num_buckets,
             max_distance=max_distance)


@pytest.mark.parametrize("bidirectional", [True, False])
def test_query_key_matrix(sub, bidirectional):
    """A (T, S) matrix memory_position - query_position, as T5 builds it, int32 input"""
    query = np.arange(37)[:, None]
    memory = np.arange(150)[None, :]
    r = (memory - query).astype(np.int32)  # (T, S)
    got = run_case(sub, r, bidirectional=bidirectional)
    C.expect(got.shape == (37, 150), f"`{FN}` returned shape {got.shape}, expected (37, 150).")


def test_batched_shape(sub):
    """Any input shape: a (2, 3, 5, 7) array of positions"""
    r = C.rng(0).integers(-400, 400, size=(2, 3, 5, 7))
    run_case(sub, r)
    run_case(sub, r, bidirectional=False, num_buckets=16, max_distance=40)


def test_integer_buckets_in_range(sub):
    """Buckets are integers in [0, num_buckets), with the input's shape"""
    r = np.arange(-1000, 1002).reshape(14, 143)
    for kw in (DEFAULTS, dict(bidirectional=False, num_buckets=24, max_distance=100)):
        got = C.as_array(call(sub, r, **kw), f"{FN}(...)")
        C.expect(got.shape == r.shape, f"`{FN}` returned shape {got.shape}, expected the input's {r.shape}.")
        C.expect(got.dtype.kind in "iu", f"`{FN}` returned dtype {got.dtype}: buckets index an embedding table, "
                 "so they must be integers (e.g. `.astype(np.int64)`).")
        lo, hi = int(got.min()), int(got.max())
        bug = C.matching_bug(got, known_bugs(r, kw), 0.0, 0.0, reference(r, **kw))
        C.expect(lo >= 0 and hi < kw["num_buckets"], f"buckets range over {lo}..{hi} for {kw}; they must lie in "
                 f"0..{kw['num_buckets'] - 1}.", bug)


def test_relative_invariance(sub):
    """The bias matrix depends only on key - query: shifting both positions changes nothing"""
    q = np.arange(20)[:, None]
    k = np.arange(60)[None, :]
    base = C.as_array(call(sub, k - q), f"{FN}(k - q)")
    shifted = C.as_array(call(sub, (k + 500) - (q + 500)), f"{FN}(k - q) at shifted positions")
    C.expect(base.shape == shifted.shape and np.array_equal(base, shifted),
             "the buckets changed when every query and key position moved by 500: they must be a function of "
             "key - query alone.")


def test_directions_mirror(sub):
    """Bidirectional: a key d after the query sits exactly num_buckets // 2 above a key d before"""
    d = np.arange(1, 400)
    for nb in (32, 20):
        after = C.as_array(call(sub, d, num_buckets=nb, max_distance=100), f"{FN}(+d)")
        before = C.as_array(call(sub, -d, num_buckets=nb, max_distance=100), f"{FN}(-d)")
        ok = after.shape == before.shape == d.shape and np.array_equal(after - before, np.full(d.shape, nb // 2))
        bug = C.matching_bug(after, known_bugs(d, dict(num_buckets=nb, max_distance=100)), 0.0, 0.0,
                             reference(d, num_buckets=nb, max_distance=100))
        C.expect(ok, f"with num_buckets={nb}, bucket(+d) - bucket(-d) should be {nb // 2} for every d >= 1 (the "
                 "two directions use the same buckets, offset by half).", bug)


def test_monotone_in_distance(sub):
    """Buckets never decrease as the key moves further into the past (causal)"""
    d = np.arange(0, 700)
    got = C.as_array(call(sub, -d, bidirectional=False), f"{FN}(-d)")
    bug = C.matching_bug(got, known_bugs(-d, dict(bidirectional=False)), 0.0, 0.0, reference(-d, bidirectional=False))
    C.expect(got.shape == d.shape and np.all(np.diff(got) >= 0) and got[-1] == 31,
             "causal buckets must grow (or stay) with the distance into the past and reach the last bucket, 31, "
             "at max_distance.", bug)
