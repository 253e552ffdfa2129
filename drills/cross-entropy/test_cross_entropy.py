"""Hidden suite for the `cross-entropy` drill. Never copied into the learner's workspace."""
import math

import numpy as np
import pytest

from tfprep.content.reference_impls.attention import softmax as ref_softmax
from tfprep.content.reference_impls.cross_entropy import cross_entropy as ref_ce
from tfprep.content.reference_impls.cross_entropy import log_softmax as ref_log_softmax
from tfprep.content.reference_impls.cross_entropy import perplexity as ref_ppl
from tfprep.grading import checks as C


# --- known bugs: what each classic mistake would return on the same inputs -----------------

def _token_nll(log_p, targets, ignore_index):
    """Per-token -log p(target) and the kept mask, for log-probs computed however a bug does."""
    keep = targets != ignore_index
    safe = np.where(keep, targets, 0)[..., None]
    return -np.take_along_axis(log_p, safe, axis=-1)[..., 0], keep


def _mean_ce(log_p, targets, ignore_index):
    nll, keep = _token_nll(log_p, targets, ignore_index)
    return nll[keep].sum() / keep.sum()


def bug_lse_without_max(logits, targets, ignore_index=-100):
    z = logits.astype(np.float64)
    with np.errstate(all="ignore"):
        return _mean_ce(z - np.log(np.exp(z).sum(-1, keepdims=True)), targets, ignore_index)


def bug_log_of_softmax(logits, targets, ignore_index=-100):
    with np.errstate(all="ignore"):
        return _mean_ce(np.log(ref_softmax(logits.astype(np.float64))), targets, ignore_index)


def bug_ignored_in_denominator(logits, targets, ignore_index=-100):
    nll, keep = _token_nll(ref_log_softmax(logits.astype(np.float64)), targets, ignore_index)
    return nll[keep].sum() / targets.size


def bug_sum_not_mean(logits, targets, ignore_index=-100):
    nll, keep = _token_nll(ref_log_softmax(logits.astype(np.float64)), targets, ignore_index)
    return nll[keep].sum()


def bug_wrong_axis(logits, targets, ignore_index=-100):
    if logits.ndim < 2:
        return None
    return _mean_ce(ref_log_softmax(logits.astype(np.float64), axis=0), targets, ignore_index)


OVERFLOW = "log(softmax) overflow: exp of logits ~1000 is inf (subtract the max, i.e. log-sum-exp)"
UNDERFLOW = "log(softmax) underflow: a tiny probability rounds to 0 and log(0) = -inf (use z - logsumexp(z))"
CE_BUGS = {
    OVERFLOW: bug_lse_without_max,
    UNDERFLOW: bug_log_of_softmax,
    "ignored positions counted in the denominator (average over non-ignored targets only)": bug_ignored_in_denominator,
    "summed over tokens instead of averaged": bug_sum_not_mean,
    "log-softmax over the wrong axis (the classes are the last axis)": bug_wrong_axis,
}


def bug_mean_of_exp(logits, targets, ignore_index=-100):
    nll, keep = _token_nll(ref_log_softmax(logits.astype(np.float64)), targets, ignore_index)
    return np.exp(nll[keep]).mean()


def bug_base_two(logits, targets, ignore_index=-100):
    return 2.0 ** ref_ce(logits, targets, ignore_index)


def _exp_of(ce_bug):
    def ppl(logits, targets, ignore_index=-100):
        ce = ce_bug(logits, targets, ignore_index)
        with np.errstate(all="ignore"):
            return None if ce is None else np.exp(ce)
    return ppl


PPL_ONLY_BUGS = {
    "perplexity as the mean of per-token exp(loss) instead of exp(mean loss)": bug_mean_of_exp,
    "perplexity as 2 ** CE (the loss is in nats: use exp)": bug_base_two,
}
PPL_BUGS = {**{label: _exp_of(f) for label, f in CE_BUGS.items()}, **PPL_ONLY_BUGS}
BUGS = {**CE_BUGS, **PPL_ONLY_BUGS}


def _call(fn, logits, targets, ignore_index):
    return fn(logits, targets) if ignore_index is None else fn(logits, targets, ignore_index=ignore_index)


def run_case(sub, name, logits, targets, ignore_index=None, rtol=1e-4, atol=1e-5, exclude=()):
    ii = -100 if ignore_index is None else ignore_index
    ref, bugs = (ref_ce, CE_BUGS) if name == "cross_entropy" else (ref_ppl, PPL_BUGS)
    bugs = {k: f for k, f in bugs.items() if k not in exclude}
    expected = ref(logits.astype(np.float64), targets, ii)
    got = _call(sub.fn(name), logits, targets, ignore_index)
    C.expect_close(got, expected, what=name, case=C.describe(logits=logits, targets=targets, ignore_index=ii),
                   rtol=rtol, atol=atol, bugs={k: (lambda f=f: f(logits, targets, ii)) for k, f in bugs.items()})


def make(seed, batch, vocab, scale=3.0, p_ignore=0.3, ignore_index=-100, dtype=np.float64):
    """Logits and int targets with some positions set to ignore_index (never all of them)."""
    g = C.rng(seed)
    logits = C.randn(g, *batch, vocab, scale=scale, dtype=dtype)
    targets = g.integers(0, vocab, size=batch)
    drop = g.random(batch) < p_ignore
    drop.flat[0] = False  # at least one target counts
    targets = np.where(drop, ignore_index, targets)
    return logits, targets


# --- cross_entropy -------------------------------------------------------------------------

@pytest.mark.parametrize("seed,batch,vocab", [(0, (7,), 5), (1, (2, 6), 11), (2, (3, 1, 4), 9), (3, (40,), 130)])
def test_cross_entropy_matches_reference(sub, seed, batch, vocab):
    """Mean CE over the non-ignored targets matches the reference (float64)"""
    run_case(sub, "cross_entropy", *make(seed, batch, vocab))


def test_cross_entropy_no_ignored(sub):
    """Mean CE when every target counts"""
    run_case(sub, "cross_entropy", *make(4, (4, 5), 8, p_ignore=0.0))


def test_cross_entropy_float32(sub):
    """Mean CE on float32 logits"""
    logits, targets = make(5, (3, 8), 16, dtype=np.float32)
    run_case(sub, "cross_entropy", logits, targets.astype(np.int32), rtol=2e-3, atol=2e-4)


@pytest.mark.parametrize("ignore_index", [-1, 2])
def test_cross_entropy_custom_ignore_index(sub, ignore_index):
    """A custom ignore_index (even a valid class id) is honoured"""
    logits, targets = make(6, (5, 4), 6, ignore_index=ignore_index)
    run_case(sub, "cross_entropy", logits, targets, ignore_index)


def test_cross_entropy_hostile_target_is_max(sub):
    """Logits around +1000 give a finite, correct loss"""
    g = C.rng(7)
    logits = 1000.0 + C.randn(g, 6, 10, scale=5.0)
    targets = logits.argmax(-1)
    targets[1] = 3
    run_case(sub, "cross_entropy", logits, targets)


def test_cross_entropy_hostile_unlikely_targets(sub):
    """Targets with log-probability around -1000 give a finite, correct loss"""
    g = C.rng(8)
    logits = -np.abs(C.randn(g, 6, 10, scale=600.0))
    targets = logits.argmin(-1)  # the least likely class: p ~ exp(-1000) underflows to 0
    run_case(sub, "cross_entropy", logits, targets)


def test_cross_entropy_hostile_mixed(sub):
    """Logits of +-1000 with ignored positions give a finite, correct loss"""
    # Both stability bugs give inf/NaN here, so this case can't tell them apart: the two
    # cases above name them; here the message only says the result is not finite.
    run_case(sub, "cross_entropy", *make(9, (2, 5), 12, scale=1000.0), exclude=(OVERFLOW, UNDERFLOW))


def test_cross_entropy_uniform(sub):
    """Uniform logits give CE = log V whatever the targets"""
    v = 13
    logits = np.full((3, 4, v), 0.7)
    targets = C.rng(10).integers(0, v, size=(3, 4))
    got = sub.fn("cross_entropy")(logits, targets)
    C.expect_close(got, math.log(v), what="cross_entropy", case=f"uniform logits over V={v} classes (answer: log V)",
                   bugs={k: (lambda f=f: f(logits, targets, -100)) for k, f in CE_BUGS.items()})


def test_cross_entropy_ignores_ignored_logits(sub):
    """Logits at ignored positions do not change the loss"""
    logits, targets = make(11, (4, 6), 7, p_ignore=0.4)
    fn = sub.fn("cross_entropy")
    base = C.as_array(fn(logits, targets), "cross_entropy")
    other = logits.copy()
    other[targets == -100] = C.randn(C.rng(12), int((targets == -100).sum()), 7, scale=10.0)
    C.expect_close(fn(other, targets), base, what="cross_entropy",
                   case="the same targets with different logits at the ignored positions")


def test_cross_entropy_shift_invariance(sub):
    """Adding a constant (up to 1000) to a position's logits changes nothing"""
    logits, targets = make(13, (3, 5), 9)
    shifted = logits + C.randn(C.rng(14), 3, 5, 1, scale=1000.0)
    fn = sub.fn("cross_entropy")
    base = C.as_array(fn(logits, targets), "cross_entropy")
    C.expect_close(fn(shifted, targets), base, what="cross_entropy", rtol=1e-4, atol=1e-4,
                   case="the same logits shifted by a constant per position (softmax is shift-invariant)",
                   bugs={k: (lambda f=f: f(shifted, targets, -100)) for k, f in CE_BUGS.items()})


# --- perplexity ----------------------------------------------------------------------------

@pytest.mark.parametrize("seed,batch,vocab", [(20, (9,), 6), (21, (2, 7), 10)])
def test_perplexity_matches_reference(sub, seed, batch, vocab):
    """Perplexity = exp(mean CE) matches the reference"""
    run_case(sub, "perplexity", *make(seed, batch, vocab, scale=1.5))


def test_perplexity_custom_ignore_index(sub):
    """Perplexity honours a custom ignore_index"""
    logits, targets = make(22, (3, 6), 8, scale=1.5, ignore_index=0)
    run_case(sub, "perplexity", logits, targets, 0)


def test_perplexity_float32(sub):
    """Perplexity on float32 logits"""
    run_case(sub, "perplexity", *make(23, (4, 5), 12, scale=1.5, dtype=np.float32), rtol=2e-3, atol=2e-4)


def test_perplexity_uniform(sub):
    """Uniform logits over V classes give perplexity V"""
    v = 17
    logits = np.zeros((2, 5, v))
    targets = C.rng(24).integers(0, v, size=(2, 5))
    targets[0, 0] = -100
    got = sub.fn("perplexity")(logits, targets)
    C.expect_close(got, float(v), what="perplexity", case=f"uniform logits over V={v} classes (answer: V)",
                   bugs={k: (lambda f=f: f(logits, targets, -100)) for k, f in PPL_BUGS.items()})


def test_perplexity_hostile(sub):
    """Confident logits around +1000 give a finite, correct perplexity"""
    g = C.rng(25)
    logits = 1000.0 + C.randn(g, 5, 8, scale=3.0)
    run_case(sub, "perplexity", logits, logits.argmax(-1))
