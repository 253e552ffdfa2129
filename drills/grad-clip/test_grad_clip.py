"""Hidden suite for the `grad-clip` drill. Never copied into the learner's workspace.

Each known bug is a whole wrong `clip_grad_norm`, run on the same gradients; the learner's
total_norm and each clipped tensor are compared with the reference and, on a mismatch, with
what each bug returns there.
"""
import numpy as np
import pytest

from tfprep.content.reference_impls.grad_clip import EPS
from tfprep.content.reference_impls.grad_clip import clip_grad_norm as reference
from tfprep.grading import checks as C

FN = "clip_grad_norm"


# --- known bugs: what each classic mistake returns on the same inputs ------------------------

def _norm(g):
    return float(np.sqrt(np.sum(np.square(np.asarray(g, np.float64)))))


def _global(grads):
    return float(np.sqrt(sum(_norm(g) ** 2 for g in grads)))


def _scaled(grads, total, max_norm, *, always=False, eps=EPS):
    coef = max_norm / (total + eps)
    return [np.asarray(g, np.float64) * (coef if (always or coef < 1) else 1.0) for g in grads]


def bug_per_tensor(grads, max_norm):
    return [_scaled([g], _norm(g), max_norm)[0] for g in grads], _global(grads)


def bug_always_scale(grads, max_norm):
    return _scaled(grads, _global(grads), max_norm, always=True), _global(grads)


def bug_norm_after_clipping(grads, max_norm):
    clipped, _ = reference([np.asarray(g, np.float64) for g in grads], max_norm)
    return clipped, _global(clipped)


def bug_sum_of_norms(grads, max_norm):
    total = sum(_norm(g) for g in grads)
    return _scaled(grads, total, max_norm), total


def bug_no_sqrt(grads, max_norm):
    total = sum(_norm(g) ** 2 for g in grads)
    return _scaled(grads, total, max_norm), total


def bug_last_tensor_norm(grads, max_norm):
    total = _norm(grads[-1])
    return _scaled(grads, total, max_norm), total


def bug_value_clipping(grads, max_norm):
    return [np.clip(np.asarray(g, np.float64), -max_norm, max_norm) for g in grads], _global(grads)


def bug_inverted(grads, max_norm):
    total = _global(grads)
    return [np.asarray(g, np.float64) * (total / max_norm if total > max_norm else 1.0) for g in grads], total


def bug_spectral(grads, max_norm):
    """np.linalg.norm(g, 2): on a matrix, the largest singular value (raises on 3-d arrays)."""
    total = float(np.sqrt(sum(np.linalg.norm(np.asarray(g, np.float64), 2) ** 2 for g in grads)))
    return _scaled(grads, total, max_norm), total


def bug_no_eps(grads, max_norm):
    total = _global(grads)
    return _scaled(grads, total, max_norm, eps=0.0), total


PER_TENSOR = "per-tensor clipping: each tensor scaled by its own norm (one global norm over the whole list)"
ALWAYS = "always scaling: gradients whose total norm is already below max_norm were scaled too"
BUGS = {
    PER_TENSOR: bug_per_tensor,
    ALWAYS: bug_always_scale,
    "total_norm measured after clipping (return the norm from before)": bug_norm_after_clipping,
    "tensor norms added: the total is sqrt(sum of squares), not sum of norms": bug_sum_of_norms,
    "sqrt missing: the total norm is the sum of squares": bug_no_sqrt,
    "total norm of the last tensor only (overwritten in the loop instead of accumulated)": bug_last_tensor_norm,
    "values clipped elementwise to [-max_norm, max_norm] (that is clip_grad_value_, not norm clipping)":
        bug_value_clipping,
    "scale factor inverted (total_norm / max_norm)": bug_inverted,
    "np.linalg.norm(g, 2) on a matrix is its spectral norm: use the entrywise L2 norm (Frobenius)": bug_spectral,
    "1e-6 missing from the denominator (clip_coef = max_norm / (total_norm + 1e-6))": bug_no_eps,
}


def lazy_bugs(grads, max_norm):
    cache = {}

    def out(f):
        if f not in cache:
            try:
                cache[f] = f(grads, max_norm)
            except (ValueError, np.linalg.LinAlgError):
                cache[f] = None
        return cache[f]
    return out


def known_bugs(out, index):
    """index None: the total norm; i: the i-th clipped tensor."""
    def value(f):
        res = out(f)
        if res is None:
            return None
        return res[1] if index is None else res[0][index]
    return {label: (lambda f=f: value(f)) for label, f in BUGS.items()}


def call(sub, grads, max_norm):
    res = C.unpack(sub.fn(FN)(grads, max_norm), 2, FN)
    clipped, total = res
    if isinstance(clipped, np.ndarray) or not isinstance(clipped, (list, tuple)):
        C.fail(f"`{FN}` should return (list of clipped arrays, total_norm); its first value is a "
               f"{type(clipped).__name__}, not a list.")
    C.expect(len(clipped) == len(grads),
             f"`{FN}` returned {len(clipped)} clipped arrays for {len(grads)} gradients: one per input, in order.")
    try:
        scalar = np.ndim(total) == 0
        float(total)
    except (TypeError, ValueError):
        scalar = False
    C.expect(scalar, f"`{FN}`'s total_norm should be one number (a float); it returned a "
                     f"{type(total).__name__} of shape {np.shape(total)}.")
    return list(clipped), float(total)


def run_case(sub, grads, max_norm, rtol=1e-4, atol=1e-5):
    exp_clipped, exp_total = reference([g.astype(np.float64) for g in grads], max_norm)
    clipped, total = call(sub, grads, max_norm)
    out = lazy_bugs(grads, max_norm)
    case = C.describe(max_norm=max_norm) + ", grads " + ", ".join(
        f"{tuple(g.shape)}" for g in grads) + f" {grads[0].dtype} (total norm {exp_total:.4g})"
    C.expect_close(total, exp_total, what="total_norm", case=case, rtol=rtol, atol=atol * 1e-3,
                   bugs=known_bugs(out, None))
    for i, (got, exp) in enumerate(zip(clipped, exp_clipped)):
        C.expect_close(got, exp, what=f"clipped[{i}]", case=case, rtol=rtol, atol=atol, bugs=known_bugs(out, i))
    return clipped, total


def make(seed, shapes, scales, dtype=np.float64):
    g = C.rng(seed)
    return [C.randn(g, *s, scale=sc, dtype=dtype) for s, sc in zip(shapes, scales)]


@pytest.mark.parametrize("seed,shapes,scales,max_norm", [
    (0, [(4, 3), (5,), (2, 3, 2)], [1.0, 2.0, 0.5], 1.0),
    (1, [(7,), (3, 3)], [3.0, 0.2], 2.5),  # one tensor dominates: the small one is below max_norm alone
    (2, [(6, 4), (6,), (4, 5), (1,)], [0.5, 0.1, 2.0, 1.0], 1),  # an int max_norm
    (3, [(3, 5), (5, 2)], [0.3, 0.3], 0.5),  # every tensor alone below max_norm, the total above
    (4, [(2, 2)], [4.0], 3.0),  # a single tensor
])
def test_clips_to_global_norm(sub, seed, shapes, scales, max_norm):
    """Gradients above max_norm are scaled by max_norm / (total_norm + 1e-6); total_norm is returned (float64)"""
    run_case(sub, make(seed, shapes, scales), max_norm)


@pytest.mark.parametrize("seed,shapes,scales,max_norm", [
    (5, [(4, 3), (6,)], [0.2, 0.1], 5.0),
    (6, [(3, 3), (2, 2, 2), (5,)], [0.5, 0.5, 0.5], 4.0),
])
def test_small_gradients_unchanged(sub, seed, shapes, scales, max_norm):
    """Gradients whose total norm is below max_norm come back unchanged"""
    run_case(sub, make(seed, shapes, scales), max_norm)


def test_float32(sub):
    """float32 gradients are clipped like float64 ones"""
    run_case(sub, make(7, [(8, 4), (4,), (3, 2, 2)], [1.0, 1.0, 1.0], np.float32), 1.5, rtol=1e-5, atol=1e-6)


def test_direction_kept_and_norm_capped(sub):
    """After clipping, every tensor is the same multiple of its gradient and the total norm is max_norm"""
    grads = make(8, [(5, 3), (7,), (2, 4)], [2.0, 0.3, 1.0])
    max_norm = 0.75
    clipped, _ = call(sub, grads, max_norm)
    out = lazy_bugs(grads, max_norm)
    clipped = [C.as_array(c, f"clipped[{i}]") for i, c in enumerate(clipped)]
    for i, (c, g) in enumerate(zip(clipped, grads)):
        C.expect(c.shape == g.shape, f"clipped[{i}] has shape {c.shape}, expected {g.shape} (its gradient's).",
                 C.matching_bug(c, known_bugs(out, i), 1e-4, 1e-5))
    ratios = np.concatenate([(c / g).ravel() for c, g in zip(clipped, grads)])
    bug = C.matching_bug(clipped[0], known_bugs(out, 0), 1e-4, 1e-5) or \
        C.matching_bug(clipped[1], known_bugs(out, 1), 1e-4, 1e-5)
    C.expect(np.ptp(ratios) <= 1e-9 * np.abs(ratios).max(),
             f"the clipped tensors are not one common multiple of the gradients (clipped / grad ranges "
             f"{ratios.min():.4g}..{ratios.max():.4g}): clipping must keep the update's direction.", bug)
    norm = float(np.sqrt(sum(float(np.sum(c.astype(np.float64) ** 2)) for c in clipped)))
    C.expect(abs(norm - max_norm) <= 1e-5 * max_norm,
             f"the clipped gradients' total norm is {norm:.6g}, expected max_norm = {max_norm} "
             "(up to the 1e-6 in the denominator).", bug)


def test_zero_gradients(sub):
    """All-zero gradients stay zero and total_norm is 0 (no 0 / 0)"""
    grads = [np.zeros((3, 4)), np.zeros(5)]
    run_case(sub, grads, 1.0)


def test_tiny_norm_uses_eps(sub):
    """With max_norm = 1e-6 the 1e-6 in the denominator matters: clip_coef = max_norm / (total_norm + 1e-6)"""
    grads = make(9, [(3, 3), (4,)], [1e-6, 1e-6])
    total = reference(grads, 1.0)[1]
    grads = [g * (4e-6 / total) for g in grads]  # total norm 4e-6: coefficient 0.2, not 0.25
    run_case(sub, grads, 1e-6, rtol=1e-4, atol=1e-13)
