"""Hidden suite for the `distillation` drill. Never copied into the learner's workspace."""
import math

import numpy as np
import pytest

from tfprep.content.reference_impls.distillation import distillation_loss as reference
from tfprep.content.reference_impls.distillation import log_softmax as ref_log_softmax
from tfprep.grading import checks as C

FN = "distillation_loss"


# --- known bugs: what each classic mistake would return on the same inputs -----------------

def _f64(*arrays):
    return [np.asarray(a, dtype=np.float64) for a in arrays]


def _kl(log_p, log_q):
    """KL(p || q) per position (...,) from log-probabilities."""
    with np.errstate(all="ignore"):
        return np.sum(np.exp(log_p) * (log_p - log_q), axis=-1)


def _soft(z, t):
    return ref_log_softmax(z / t)


def bug_no_t_squared(s, t, T):
    s, t = _f64(s, t)
    return float(np.mean(_kl(_soft(t, T), _soft(s, T))))


def bug_t_not_squared(s, t, T):
    s, t = _f64(s, t)
    return float(T * np.mean(_kl(_soft(t, T), _soft(s, T))))


def bug_reversed(s, t, T):
    return reference(t, s, T)


def bug_not_softened(s, t, T):
    s, t = _f64(s, t)
    return float(T * T * np.mean(_kl(ref_log_softmax(t), ref_log_softmax(s))))


def bug_only_teacher_softened(s, t, T):
    s, t = _f64(s, t)
    return float(T * T * np.mean(_kl(_soft(t, T), ref_log_softmax(s))))


def bug_only_student_softened(s, t, T):
    s, t = _f64(s, t)
    return float(T * T * np.mean(_kl(ref_log_softmax(t), _soft(s, T))))


def bug_sum(s, t, T):
    s, t = _f64(s, t)
    return float(T * T * np.sum(_kl(_soft(t, T), _soft(s, T))))


def bug_mean_over_classes(s, t, T):
    """torch's `F.kl_div(..., reduction="mean")`: the sum divided by every element, V included."""
    s, t = _f64(s, t)
    return float(T * T * np.sum(_kl(_soft(t, T), _soft(s, T))) / s.size)


def bug_batch_axis_only(s, t, T):
    """torch's "batchmean" on unflattened (B, L, V) logits: the sum divided by B alone."""
    s, t = _f64(s, t)
    if s.ndim < 3:
        return None
    return float(T * T * np.sum(_kl(_soft(t, T), _soft(s, T))) / s.shape[0])


def bug_cross_entropy(s, t, T):
    s, t = _f64(s, t)
    log_p_t, log_p_s = _soft(t, T), _soft(s, T)
    return float(T * T * np.mean(-np.sum(np.exp(log_p_t) * log_p_s, axis=-1)))


def _lse_no_max(z):
    with np.errstate(all="ignore"):
        return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def _log_of_softmax(z):
    with np.errstate(all="ignore"):
        e = np.exp(z - z.max(-1, keepdims=True))
        return np.log(e / e.sum(-1, keepdims=True))


def bug_overflow(s, t, T):
    s, t = _f64(s, t)
    with np.errstate(all="ignore"):
        return float(T * T * np.mean(_kl(_lse_no_max(t / T), _lse_no_max(s / T))))


def bug_underflow(s, t, T):
    s, t = _f64(s, t)
    with np.errstate(all="ignore"):
        return float(T * T * np.mean(_kl(_log_of_softmax(t / T), _log_of_softmax(s / T))))


NO_T2 = "missing T^2 factor (the soft loss must be multiplied by T*T)"
REVERSED = "KL reversed: KL(student || teacher) instead of KL(teacher || student) (or the arguments swapped)"
NOT_SOFTENED = "probabilities not softened (softmax of the raw logits; both must be divided by T)"
SUM = "summed over positions instead of averaged"
OVERFLOW = "softmax without max-subtraction: exp of logits ~1000 overflows (use a stable log-softmax)"
UNDERFLOW = "log(softmax(...)): a probability that rounds to 0 gives log 0 = -inf and 0 * -inf = NaN (use z - logsumexp(z))"
BUGS = {
    NO_T2: bug_no_t_squared,
    "multiplied by T instead of T^2": bug_t_not_squared,
    REVERSED: bug_reversed,
    NOT_SOFTENED: bug_not_softened,
    "only the teacher's logits divided by T (the student's must be too)": bug_only_teacher_softened,
    "only the student's logits divided by T (the teacher's must be too)": bug_only_student_softened,
    SUM: bug_sum,
    "averaged over the classes too (like torch's reduction=\"mean\"): average over positions only": bug_mean_over_classes,
    "divided by the batch size only (torch's batchmean on (B, L, V)): average over all leading positions":
        bug_batch_axis_only,
    "cross-entropy instead of KL (the teacher's entropy is not subtracted)": bug_cross_entropy,
    OVERFLOW: bug_overflow,
    UNDERFLOW: bug_underflow,
}


def known_bugs(s, t, T, exclude=()):
    return {label: (lambda f=f: f(s, t, T)) for label, f in BUGS.items() if label not in exclude}


NAN_CAUSES = ("exp overflowing (divide by T, then subtract the row max before np.exp), or log of a probability "
              "that rounded to 0 (work with log-softmax, z - logsumexp(z), and multiply by p_t = exp(log p_t))")


def run_case(sub, s, t, T, rtol=1e-4, atol=1e-5, expected=None, case=None, exclude=()):
    if expected is None:
        expected = reference(s, t, T)
    got = sub.fn(FN)(s, t, T)
    C.expect_close(got, expected, what=f"{FN}(student_logits, teacher_logits, {T:g})",
                   case=case or C.describe(student_logits=s, teacher_logits=t, temperature=T),
                   rtol=rtol, atol=atol, bugs=known_bugs(s, t, T, exclude), nan_causes=NAN_CAUSES)
    return got


def make(seed, shape, dtype=np.float64, s_scale=2.0, t_scale=3.0):
    g = C.rng(seed)
    return C.randn(g, *shape, scale=s_scale, dtype=dtype), C.randn(g, *shape, scale=t_scale, dtype=dtype)


# --- checks ----------------------------------------------------------------------------------

def test_worked_example(sub):
    """The statement's example: student [0, 0], teacher [3 ln 3, 0], T = 3 gives 9 * 0.13081 = 1.1773"""
    s = np.array([[0.0, 0.0]])
    t = np.array([[3.0 * math.log(3.0), 0.0]])  # p_t = (0.75, 0.25) at T = 3
    kl = 0.75 * math.log(0.75 / 0.5) + 0.25 * math.log(0.25 / 0.5)
    run_case(sub, s, t, 3.0, expected=9.0 * kl, case="the worked example of the statement (one row, V = 2)")


# Logit scales 2 and 3 make the distributions differ; the factors the bugs introduce (1/T^2,
# 1/T, the number of positions, 1/V) differ from each other on every row here.
@pytest.mark.parametrize("seed,shape,temperature", [
    (0, (6, 10), 2.0),
    (1, (5, 7), 4.0),
    (2, (2, 6, 8), 3.0),  # (B, T, V): the mean runs over all 12 positions
    (3, (3, 12), 0.5),
    (4, (11,), 2.5),  # a single distribution
    (5, (4, 3, 2, 5), 1.5),
])
def test_matches_reference(sub, seed, shape, temperature):
    """The loss matches the reference (float64; (B, V), (B, T, V), a single row; several T)"""
    run_case(sub, *make(seed, shape), temperature)


def test_float32(sub):
    """The loss matches the reference on float32 logits"""
    run_case(sub, *make(6, (4, 9), dtype=np.float32), 2.0, rtol=2e-3, atol=2e-4)


def test_mean_over_positions(sub):
    """The loss averages over positions: two copies of the batch give the same loss"""
    s, t = make(7, (3, 6))
    single = C.as_array(sub.fn(FN)(s, t, 2.0), FN)
    run_case(sub, np.concatenate([s, s]), np.concatenate([t, t]), 2.0, expected=float(single),
             case="the same batch stacked twice (6 positions instead of 3)")


def test_zero_when_student_equals_teacher(sub):
    """The loss is 0 when the student's logits equal the teacher's"""
    s, _ = make(8, (5, 8))
    run_case(sub, s, s.copy(), 3.0, atol=1e-9)


def test_shift_invariance(sub):
    """Adding a constant (up to ~1000) to a position's logits changes nothing"""
    s, t = make(9, (4, 7))
    g = C.rng(10)
    s2 = s + C.randn(g, 4, 1, scale=500.0)
    t2 = t + C.randn(g, 4, 1, scale=500.0)
    run_case(sub, s2, t2, 2.0, expected=reference(s, t, 2.0), atol=1e-4,
             case="the logits shifted by a constant per position (softmax ignores such a shift)")


def _relative_match(got, s, t, T):
    """The known bug whose value is within 0.1% of `got` (relative), or None: at high T the
    bugs' values are tiny (KL ~ 1e-5), below the absolute tolerance `C.matching_bug` uses."""
    close = []
    for label, f in BUGS.items():
        value = f(s, t, T)
        if value is not None and math.isfinite(value) and abs(got - value) <= 1e-3 * abs(value) + 1e-300:
            close.append(label)
    return close[0] if len(close) == 1 else None


def test_high_temperature_matches_logit_matching(sub):
    """At T = 200 the loss is close to Hinton's logit-matching limit (1/2V) ||centred z_t - z_s||^2"""
    s, t = make(11, (5, 6), s_scale=1.0, t_scale=1.0)
    d = t - s
    d = d - d.mean(-1, keepdims=True)
    limit = float(np.mean(np.sum(d * d, axis=-1) / (2 * s.shape[-1])))
    got = float(C.as_array(sub.fn(FN)(s, t, 200.0), FN))
    C.expect(math.isclose(got, limit, rel_tol=2e-3),
             f"at T = 200, distillation_loss returned {got:.6g}; T^2 * KL should be within 0.2% of the "
             f"logit-matching limit (1 / 2V) * ||(z_t - mean) - (z_s - mean)||^2 = {limit:.6g} "
             f"(ratio {got / limit:.3g}).", _relative_match(got, s, t, 200.0))


def test_hostile_large_logits(sub):
    """Logits around +1000 (T = 1) give a finite, correct loss"""
    g = C.rng(12)
    s = 1000.0 + C.randn(g, 4, 10, scale=3.0)
    t = 1000.0 + C.randn(g, 4, 10, scale=3.0)
    run_case(sub, s, t, 1.0)


def test_hostile_confident_teacher(sub):
    """A teacher with log-probabilities down to about -1000 gives a finite, correct loss"""
    g = C.rng(13)
    t = -np.abs(C.randn(g, 4, 10, scale=600.0))
    t = t - t.max(-1, keepdims=True)  # each row keeps one logit at 0: probabilities ~exp(-1000) round to 0
    s = C.randn(g, 4, 10, scale=3.0)
    run_case(sub, s, t, 1.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hostile_magnitudes(sub, dtype):
    """Logits of +-1000 for both models (T = 2) give a finite, correct loss"""
    s, t = make(14, (3, 9), dtype=dtype, s_scale=1000.0, t_scale=1000.0)
    tol = (1e-4, 1e-5) if dtype == np.float64 else (2e-3, 2e-3)
    run_case(sub, s, t, 2.0, *tol)
