"""Hidden suite for the `adamw` drill. Never copied into the learner's workspace.

Single steps are compared on param, m and v; trajectories call the learner's step repeatedly,
feeding back its own param, m and v, and compare every step with the reference. Each known bug
is one wrong setting of a parametric step, run from the same start on the same gradients, so a
learner's bug reproduces its emulation exactly and is named.
"""
import numpy as np
import pytest

from tfprep.content.reference_impls.adamw import adamw_step as reference
from tfprep.grading import checks as C

FN = "adamw_step"
DEFAULTS = dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01)


# --- known bugs: one parametric step, each bug a wrong setting of it -------------------------

def _step(param, grad, m, v, t, lr, beta1, beta2, eps, weight_decay, *, l2=False, bias=True, decay_lr=True,
          eps_inside=False, decay_after=False, t_shift=0, return_hat=False, root=True, decay=True, swap=False):
    p, g = np.asarray(param, np.float64), np.asarray(grad, np.float64)
    if swap:
        beta1, beta2 = beta2, beta1
    if l2:
        g = g + weight_decay * p  # coupled: the decay term goes through the moments
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    tc = t + t_shift
    m_hat = m / (1 - beta1 ** tc) if bias else m
    v_hat = v / (1 - beta2 ** tc) if bias else v
    with np.errstate(all="ignore"):
        s = np.sqrt if root else (lambda a: a)
        step = m_hat / (s(v_hat + eps) if eps_inside else s(v_hat) + eps)
    wd = 0.0 if (l2 or not decay) else weight_decay * (lr if decay_lr else 1.0)
    if decay_after:
        p = p - lr * step
        p = p - wd * p
    else:
        p = p - wd * p - lr * step
    return (p, m_hat, v_hat) if return_hat else (p, m, v)


L2 = ("plain Adam + L2: weight_decay * param folded into the gradient, so it passes through m and v "
      "(AdamW decays the parameter directly)")
NO_BIAS = "no bias correction (m and v must be divided by 1 - beta1**t and 1 - beta2**t)"
DECAY_NO_LR = "weight decay not scaled by lr (param -= weight_decay * param; it must be lr * weight_decay * param)"
EPS_INSIDE = "eps inside the sqrt: sqrt(v_hat + eps) instead of sqrt(v_hat) + eps"
T_PLUS_ONE = "bias correction with t + 1 (t already starts at 1)"
RETURN_HAT = "bias-corrected m_hat, v_hat returned as the state (return the raw m and v)"
DECAY_AFTER = "weight decay applied to the already-stepped parameter (decay the parameter from before the step)"
NO_DECAY = "weight_decay ignored"
NO_SQRT = "m_hat divided by v_hat (the sqrt is missing)"
SWAPPED = "beta1 and beta2 swapped"
BUGS = {
    L2: dict(l2=True), NO_BIAS: dict(bias=False), DECAY_NO_LR: dict(decay_lr=False),
    EPS_INSIDE: dict(eps_inside=True), T_PLUS_ONE: dict(t_shift=1), RETURN_HAT: dict(return_hat=True),
    DECAY_AFTER: dict(decay_after=True), NO_DECAY: dict(decay=False), NO_SQRT: dict(root=False),
    SWAPPED: dict(swap=True),
}
PARTS = ("param", "m", "v")


def trajectories(param, grads, m, v, t0, hp, label=None):
    """[(param, m, v) after each step] for the reference (label None) or a known bug."""
    kw = BUGS[label] if label else {}
    out, p = [], np.asarray(param, np.float64)
    for i, g in enumerate(grads):
        p, m, v = _step(p, g, m, v, t0 + i, **{**DEFAULTS, **hp}, **kw) if label else \
            reference(p, np.asarray(g, np.float64), m, v, t0 + i, **{**DEFAULTS, **hp})
        out.append((p, m, v))
    return out


def known_bugs(bug_runs, step, part):
    return {label: (lambda run=run: run()[step][part]) for label, run in bug_runs.items()}


def lazy_bug_runs(param, grads, m, v, t0, hp):
    cache = {}

    def run(label):
        if label not in cache:
            cache[label] = trajectories(param, grads, m, v, t0, hp, label)
        return cache[label]
    return {label: (lambda label=label: run(label)) for label in BUGS}


def tolerances(expected, part, dtype):
    """param at the contract's tolerance; m and v (tiny where gradients are tiny) relative to their size."""
    f32 = dtype == np.float32
    if part == "param":
        return (2e-4, 2e-5) if f32 else (1e-4, 1e-5)
    scale = float(np.abs(expected).max()) or 1.0
    return (2e-3 if f32 else 1e-4), 1e-6 * scale


def run_trajectory(sub, param, grads, m, v, t0, hp, pass_hp=True):
    """Call the learner's step len(grads) times, feeding back its own state; compare each step."""
    dtype = param.dtype
    ref = trajectories(param, grads, m.astype(np.float64), v.astype(np.float64), t0, hp)
    bug_runs = lazy_bug_runs(param, grads, m.astype(np.float64), v.astype(np.float64), t0, hp)
    fn = sub.fn(FN)
    p_cur, m_cur, v_cur = param, m, v
    for i, g in enumerate(grads):
        t = t0 + i
        res = fn(p_cur, g, m_cur, v_cur, t, **hp) if pass_hp else fn(p_cur, g, m_cur, v_cur, t)
        got = C.unpack(res, 3, FN)
        first = "" if i == 0 else f" (step {i + 1} of a run fed back its own param, m, v)"
        case = C.describe(param=param, t=t, **hp) + first
        for part in (1, 2, 0):  # the state first: a wrong m or v explains a wrong param
            rtol, atol = tolerances(ref[i][part], PARTS[part], dtype)
            C.expect_close(got[part], ref[i][part], what=f"returned {PARTS[part]}", case=case, rtol=rtol,
                           atol=atol, bugs=known_bugs(bug_runs, i, part))
        p_cur, m_cur, v_cur = (C.as_array(x, PARTS[k]) for k, x in enumerate(got))
    return p_cur, m_cur, v_cur


def make_grad(g, shape, lo=-6.0, hi=1.0, dtype=np.float64):
    """Gradients whose magnitudes span 1e-6..10 (eps matters for the small ones), random signs."""
    mag = 10.0 ** g.uniform(lo, hi, size=shape)
    return (np.where(g.random(shape) < 0.5, -mag, mag)).astype(dtype)


def make_state(seed, shape, t, dtype=np.float64):
    """param, grad and a plausible (m, v) for step t: m, v from t - 1 reference steps."""
    g = C.rng(seed)
    param = C.randn(g, *shape, scale=1.0)
    m, v = np.zeros(shape), np.zeros(shape)
    for s in range(1, t):
        _, m, v = reference(param, make_grad(g, shape), m, v, s)
    return param.astype(dtype), make_grad(g, shape, dtype=dtype), m.astype(dtype), v.astype(dtype)


HP_STRONG = dict(lr=1e-2, weight_decay=0.1)
HP_OTHER = dict(lr=5e-3, beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.2)


@pytest.mark.parametrize("seed,shape,t,hp", [
    (0, (7,), 1, None),  # the defaults
    (1, (3, 5), 1, HP_STRONG),
    (2, (2, 3, 4), 4, HP_STRONG),
    (3, (6, 5), 10, HP_OTHER),
    (4, (9,), 2, dict(lr=3e-2, beta1=0.5, beta2=0.9, eps=1e-8, weight_decay=0.05)),
])
def test_single_step_matches_reference(sub, seed, shape, t, hp):
    """One step matches the reference: param, m and v (float64, several shapes, t and hyperparameters)"""
    param, grad, m, v = make_state(seed, shape, t)
    run_trajectory(sub, param, [grad], m, v, t, hp or {}, pass_hp=hp is not None)


@pytest.mark.parametrize("seed,shape,hp", [(5, (4, 6), HP_STRONG), (6, (11,), HP_OTHER)])
def test_trajectory_matches_reference(sub, seed, shape, hp):
    """Twelve steps in a row from t = 1, feeding back param, m and v, follow the reference"""
    g = C.rng(seed)
    param = C.randn(g, *shape)
    grads = [make_grad(g, shape) for _ in range(12)]
    run_trajectory(sub, param, grads, np.zeros(shape), np.zeros(shape), 1, hp)


def test_trajectory_float32(sub):
    """A float32 run of eight steps follows the reference"""
    g = C.rng(7)
    shape = (5, 7)
    param = C.randn(g, *shape, dtype=np.float32)
    grads = [make_grad(g, shape, dtype=np.float32) for _ in range(8)]
    z = np.zeros(shape, np.float32)
    run_trajectory(sub, param, grads, z, z.copy(), 1, HP_STRONG)


def test_zero_gradient_only_decays(sub):
    """With a zero gradient at t = 1 the parameter only decays: param * (1 - lr * weight_decay)"""
    g = C.rng(8)
    param = C.randn(g, 3, 4, scale=2.0)
    z = np.zeros_like(param)
    run_trajectory(sub, param, [z], z, z.copy(), 1, dict(lr=0.1, weight_decay=0.3))


def test_first_step_is_lr_times_sign(sub):
    """Without decay, the first step moves every parameter by lr against its gradient's sign, whatever the gradient's size"""
    g = C.rng(9)
    shape = (4, 5)
    param, grad = C.randn(g, *shape), make_grad(g, shape, lo=-2.0, hi=2.0)
    z = np.zeros(shape)
    lr = 0.01
    got = C.unpack(sub.fn(FN)(param, grad, z, z.copy(), 1, lr=lr, weight_decay=0.0), 3, FN)
    new = C.as_array(got[0], "returned param")
    bugs = known_bugs(lazy_bug_runs(param, [grad], z, z, 1, dict(lr=lr, weight_decay=0.0)), 0, 0)
    C.expect_close(new, param - lr * np.sign(grad), what="returned param", rtol=1e-6, atol=1e-8, bugs=bugs,
                   case="t=1, m = v = 0, weight_decay=0: bias correction makes m_hat / sqrt(v_hat) = sign(grad)")


def test_invariant_to_gradient_scale(sub):
    """Scaling every gradient by 1000 leaves a five-step trajectory unchanged (weight_decay=0)"""
    g = C.rng(10)
    shape = (6,)
    param = C.randn(g, *shape)
    grads = [make_grad(g, shape, lo=-1.0, hi=0.5) for _ in range(5)]  # eps is negligible at these sizes
    hp = dict(lr=0.02, weight_decay=0.0)
    small = trajectories(param, grads, np.zeros(shape), np.zeros(shape), 1, hp)
    fn = sub.fn(FN)
    p, m, v = param, np.zeros(shape), np.zeros(shape)
    big = [1000.0 * gr for gr in grads]
    bug_runs = lazy_bug_runs(param, big, np.zeros(shape), np.zeros(shape), 1, hp)
    for i, gr in enumerate(big):
        p, m, v = (C.as_array(x, PARTS[k]) for k, x in enumerate(C.unpack(fn(p, gr, m, v, 1 + i, **hp), 3, FN)))
    C.expect_close(p, small[-1][0], what="param after five steps on gradients x1000", rtol=1e-6, atol=1e-8,
                   case="the same run with every gradient multiplied by 1000 (Adam divides the scale out)",
                   bugs=known_bugs(bug_runs, -1, 0))


def test_tiny_gradients_eps_after_sqrt(sub):
    """Gradients near 1e-7: eps is added after the sqrt, so the step is still close to lr"""
    g = C.rng(11)
    shape = (3, 6)
    param = C.randn(g, *shape)
    grads = [make_grad(g, shape, lo=-7.5, hi=-6.0) for _ in range(3)]
    run_trajectory(sub, param, grads, np.zeros(shape), np.zeros(shape), 1, dict(lr=1e-2, weight_decay=0.0))


def test_large_lr_decays_previous_param(sub):
    """With a large lr (0.3) and weight_decay 0.5, the decay uses the parameter from before the step"""
    g = C.rng(12)
    shape = (8,)
    param = C.randn(g, *shape)
    grads = [make_grad(g, shape, lo=-1.0, hi=0.5) for _ in range(2)]
    run_trajectory(sub, param, grads, np.zeros(shape), np.zeros(shape), 1, dict(lr=0.3, weight_decay=0.5))
