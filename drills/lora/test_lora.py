"""Hidden suite for the `lora` drill. Never copied into the learner's workspace.

Each known bug is a wrong pair (forward, merge) run on the same inputs. alpha and r are chosen
so that alpha / r, alpha, r / alpha, 1 and alpha // r all differ.
"""
import numpy as np
import pytest

from tfprep.content.reference_impls.lora import lora_forward as ref_forward
from tfprep.content.reference_impls.lora import lora_merge as ref_merge
from tfprep.grading import checks as C


# --- known bugs: (forward, merge) for each classic mistake ------------------------------------

def _pair(scale=lambda alpha, r: alpha / r, transpose=False, scale_base=False, no_base=False, update_only=False):
    def delta(w, a, b, alpha, r):
        d = a @ b
        if transpose:
            d = d.T  # b.T @ a.T: (d_out, d_in), runs only when d_in == d_out
            if d.shape != w.shape:
                raise ValueError("shapes do not match")
        return scale(alpha, r) * d

    def forward(x, w, a, b, alpha, r):
        base = 0.0 if no_base else (scale(alpha, r) if scale_base else 1.0) * (x @ w)
        return base + x @ delta(w, a, b, alpha, r)

    def merge(w, a, b, alpha, r):
        if update_only:
            return delta(w, a, b, alpha, r)
        return (scale(alpha, r) if scale_base else 1.0) * w + delta(w, a, b, alpha, r)
    return forward, merge


SWAPPED = "a and b swapped: the update is applied transposed (x @ b.T @ a.T; it must be x @ a @ b)"
BUGS = {
    "scale alpha instead of alpha / r": _pair(scale=lambda alpha, r: alpha),
    "scale inverted: r / alpha instead of alpha / r": _pair(scale=lambda alpha, r: r / alpha),
    "scaling missing (the update must be multiplied by alpha / r)": _pair(scale=lambda alpha, r: 1.0),
    "alpha // r: integer division truncates the scale": _pair(scale=lambda alpha, r: alpha // r),
    SWAPPED: _pair(transpose=True),
    "alpha / r applied to the base output x @ w too (only the low-rank update is scaled)": _pair(scale_base=True),
    "base output x @ w left out (out = x @ w + (alpha / r) x @ a @ b)": _pair(no_base=True),
    "merge returns the update alone: w must be added": _pair(update_only=True),
}


def known_bugs(which, *args):
    index = 0 if which == "lora_forward" else 1
    return {label: (lambda f=pair[index]: f(*args)) for label, pair in BUGS.items()}


def _swap_probe(sub, which):
    """Whether the learner's function applies the update transposed: on square weights it runs."""
    x, w, a, b = make(999, (3,), 6, 6, 2)
    args = (x, w, a, b, 16, 6) if which == "lora_forward" else (w, a, b, 16, 6)
    try:
        got = sub.fn(which)(*args)
    except C.CheckFailed:
        return False
    return C.matching_bug(got, {SWAPPED: lambda: BUGS[SWAPPED][0 if which == "lora_forward" else 1](*args)},
                          1e-4, 1e-5) == SWAPPED


def call(sub, which, *args):
    try:
        return sub.fn(which)(*args)
    except C.CheckFailed as exc:
        w = args[1] if which == "lora_forward" else args[0]
        if exc.bug is None and w.shape[0] != w.shape[1] and _swap_probe(sub, which):
            C.fail(exc.message, SWAPPED)
        raise


def run_forward(sub, x, w, a, b, alpha, r, rtol=1e-4, atol=1e-5):
    f64 = [t.astype(np.float64) for t in (x, w, a, b)]
    got = call(sub, "lora_forward", x, w, a, b, alpha, r)
    C.expect_close(got, ref_forward(*f64, alpha, r), what="lora_forward(x, w, a, b, alpha, r)",
                   case=C.describe(x=x, w=w, a=a, b=b, alpha=alpha, r=r), rtol=rtol, atol=atol,
                   bugs=known_bugs("lora_forward", *f64, alpha, r))
    return C.as_array(got, "lora_forward")


def run_merge(sub, w, a, b, alpha, r, rtol=1e-4, atol=1e-5):
    f64 = [t.astype(np.float64) for t in (w, a, b)]
    got = call(sub, "lora_merge", w, a, b, alpha, r)
    C.expect_close(got, ref_merge(*f64, alpha, r), what="lora_merge(w, a, b, alpha, r)",
                   case=C.describe(w=w, a=a, b=b, alpha=alpha, r=r), rtol=rtol, atol=atol,
                   bugs=known_bugs("lora_merge", *f64, alpha, r))
    return C.as_array(got, "lora_merge")


def make(seed, batch, d_in, d_out, r, dtype=np.float64, zero_b=False):
    """x (*batch, d_in); w, a and b scaled so the low-rank update is as large as the base output."""
    g = C.rng(seed)
    x = C.randn(g, *batch, d_in, dtype=dtype)
    w = C.randn(g, d_in, d_out, scale=1.0 / np.sqrt(d_in), dtype=dtype)
    a = C.randn(g, d_in, r, scale=1.0 / np.sqrt(d_in), dtype=dtype)
    b = np.zeros((r, d_out), dtype) if zero_b else C.randn(g, r, d_out, scale=0.5 / np.sqrt(r), dtype=dtype)
    return x, w, a, b


CASES = [
    (0, (5,), 8, 6, 3, 16),
    (1, (2, 4), 10, 10, 4, 6),  # square weights: a transposed update runs and is named
    (2, (), 7, 9, 2, 5.0),  # a single vector x
    (3, (3, 2, 5), 6, 12, 5, 32),
    (4, (4,), 12, 12, 6, 16),  # square again; alpha // r = 2, alpha / r = 2.67
]


@pytest.mark.parametrize("seed,batch,d_in,d_out,r,alpha", CASES)
def test_forward_matches_reference(sub, seed, batch, d_in, d_out, r, alpha):
    """lora_forward matches x @ w + (alpha / r) * x @ a @ b (float64, batched and single x)"""
    run_forward(sub, *make(seed, batch, d_in, d_out, r), alpha, r)


@pytest.mark.parametrize("seed,batch,d_in,d_out,r,alpha", CASES)
def test_merge_matches_reference(sub, seed, batch, d_in, d_out, r, alpha):
    """lora_merge matches w + (alpha / r) * a @ b (float64)"""
    _, w, a, b = make(seed, batch, d_in, d_out, r)
    run_merge(sub, w, a, b, alpha, r)


def test_float32(sub):
    """float32 inputs give the reference's result in both functions"""
    x, w, a, b = make(5, (6,), 16, 8, 4, dtype=np.float32)
    run_forward(sub, x, w, a, b, 8, 3, rtol=1e-4, atol=1e-5)
    run_merge(sub, w, a, b, 8, 3, rtol=1e-4, atol=1e-5)


def test_zero_b_is_the_base_layer(sub):
    """With b = 0 (LoRA's initialisation) the output is x @ w and the merged weight is w"""
    x, w, a, b = make(6, (4,), 9, 7, 3, zero_b=True)
    out = call(sub, "lora_forward", x, w, a, b, 16, 3)
    C.expect_close(out, x @ w, what="lora_forward with b = 0", case="b = 0: training starts from the base model",
                   bugs=known_bugs("lora_forward", x, w, a, b, 16, 3))
    merged = call(sub, "lora_merge", w, a, b, 16, 3)
    C.expect_close(merged, w, what="lora_merge with b = 0", case="b = 0: nothing to merge yet",
                   bugs=known_bugs("lora_merge", w, a, b, 16, 3))


def test_merged_equals_unmerged(sub):
    """x @ lora_merge(w, a, b, alpha, r) equals lora_forward(x, w, a, b, alpha, r)"""
    x, w, a, b = make(7, (2, 5), 8, 11, 3)
    out = C.as_array(call(sub, "lora_forward", x, w, a, b, 12, 3), "lora_forward")
    merged = C.as_array(call(sub, "lora_merge", w, a, b, 12, 3), "lora_merge")
    C.expect(merged.shape == w.shape, f"lora_merge returned shape {merged.shape}, expected {w.shape} (w's).",
             C.matching_bug(merged, known_bugs("lora_merge", w, a, b, 12, 3), 1e-4, 1e-5))
    bugs = {label: (lambda f=f: x @ f()) for label, f in known_bugs("lora_merge", w, a, b, 12, 3).items()}
    C.expect_close(x @ merged, out, what="x @ lora_merge(...)",
                   case="your merged weight against your own lora_forward (they must agree)", bugs=bugs)


def test_update_has_rank_at_most_r(sub):
    """The merged weight differs from w by a matrix of rank at most r"""
    _, w, a, b = make(8, (), 12, 10, 2)
    merged = C.as_array(call(sub, "lora_merge", w, a, b, 4, 2), "lora_merge")
    C.expect(merged.shape == w.shape, f"lora_merge returned shape {merged.shape}, expected {w.shape} (w's).")
    rank = int(np.linalg.matrix_rank(merged.astype(np.float64) - w, tol=1e-8))
    C.expect(rank <= 2, f"lora_merge(w, a, b) - w has rank {rank}, but a low-rank update a @ b with r = 2 has rank "
                        "at most 2: something other than the update was added to w.",
             C.matching_bug(merged, known_bugs("lora_merge", w, a, b, 4, 2), 1e-4, 1e-5))


def test_scale_follows_alpha_over_r(sub):
    """The update grows with alpha and shrinks with r: doubling alpha, or halving r, doubles it"""
    x, w, a, b = make(9, (3,), 6, 5, 4)
    fn = lambda alpha, r: C.as_array(call(sub, "lora_forward", x, w, a, b, alpha, r), "lora_forward") - x @ w  # noqa: E731
    base = fn(3, 4)
    for alpha, r, what in ((6, 4, "alpha 3 -> 6"), (3, 2, "r 4 -> 2")):
        C.expect_close(fn(alpha, r), 2 * base, what=f"lora_forward(...) - x @ w after {what}",
                       case="twice the update of alpha=3, r=4 (r is passed on its own; a keeps r=4 columns)",
                       bugs={label: (lambda f=f: f() - x @ w)
                             for label, f in known_bugs("lora_forward", x, w, a, b, alpha, r).items()})
