"""Hidden suite for the `sampling` drill. Never copied into the learner's workspace.

The learner's sampler is random, so most checks draw many tokens with a fixed seed and compare
the counts with the reference distribution (a G-test at a one-in-a-million false-alarm level).
Each known bug is written as the distribution it samples from; a failing sample is named after
the bug whose distribution explains it, and only when that bug is far likelier (MIN_LIKELIHOOD_RATIO)
than every other bug the counts are consistent with.
"""
import math
import operator

import numpy as np

from tfprep.content.reference_impls.attention import softmax
from tfprep.content.reference_impls.sampling import sampling_distribution as reference
from tfprep.grading import checks as C

FN = "sample_token"


# --- known bugs: the distribution each classic mistake samples from ---------------------------

def _top_k(p, k, extra=0):
    if k is None:
        return p
    order = np.argsort(-p, kind="stable")
    p = p.copy()
    p[order[max(k + extra, 0):]] = 0.0
    return p / p.sum()


def _top_p(p, top_p, keep_crossing=True, renormalise=True):
    if top_p is None:
        return p
    order = np.argsort(-p, kind="stable")
    cum = np.cumsum(p[order])
    before = cum - p[order]
    drop = before >= top_p if keep_crossing else cum > top_p
    drop[0] = False  # the most probable token always survives
    p = p.copy()
    p[order[drop]] = 0.0
    return p / p.sum() if renormalise else p


def _tempered(logits, t):
    return softmax(np.asarray(logits, dtype=np.float64) / t)


def bug_crossing_dropped(logits, temperature=1.0, top_k=None, top_p=None):
    return _top_p(_top_k(_tempered(logits, temperature), top_k), top_p, keep_crossing=False)


def bug_top_k_plus_one(logits, temperature=1.0, top_k=None, top_p=None):
    return _top_p(_top_k(_tempered(logits, temperature), top_k, extra=1), top_p)


def bug_top_k_minus_one(logits, temperature=1.0, top_k=None, top_p=None):
    return _top_p(_top_k(_tempered(logits, temperature), top_k, extra=-1), top_p)


def bug_temperature_after_top_p(logits, temperature=1.0, top_k=None, top_p=None):
    kept = _top_p(_top_k(_tempered(logits, 1.0), top_k), top_p) > 0  # filtered at T = 1
    z = np.where(kept, np.asarray(logits, dtype=np.float64) / temperature, -np.inf)
    return softmax(z)


def bug_unnormalised(logits, temperature=1.0, top_k=None, top_p=None):
    """Filtered probs left unnormalised and drawn by inverse CDF (`searchsorted(cumsum(p), u)`,
    clipped) or `rng.multinomial`: the mass that was filtered out lands on the last token id."""
    p = _tempered(logits, temperature)
    kept = _top_p(_top_k(p, top_k), top_p) > 0
    p = np.where(kept, p, 0.0)
    p[-1] += 1.0 - p.sum()
    return p


def bug_unnormalised_sorted(logits, temperature=1.0, top_k=None, top_p=None):
    """Inverse CDF over the kept tokens, most probable first, never renormalised: the filtered
    mass lands on the least probable kept token."""
    p = _tempered(logits, temperature)
    kept = _top_p(_top_k(p, top_k), top_p) > 0
    q = np.where(kept, p, 0.0)
    q[np.flatnonzero(kept)[np.argmin(p[kept])]] += 1.0 - q.sum()
    return q


def bug_top_p_before_top_k(logits, temperature=1.0, top_k=None, top_p=None):
    return _top_k(_top_p(_tempered(logits, temperature), top_p), top_k)


def bug_temperature_multiplied(logits, temperature=1.0, top_k=None, top_p=None):
    return _top_p(_top_k(_tempered(logits, 1.0 / temperature if temperature else 1.0), top_k), top_p)


def bug_temperature_ignored(logits, temperature=1.0, top_k=None, top_p=None):
    return _top_p(_top_k(_tempered(logits, 1.0), top_k), top_p)


UNNORMALISED = "sampling from unnormalised probs"
BUGS = {
    "crossing token dropped (top-p must keep the token that takes the mass past p)": bug_crossing_dropped,
    "top-k off by one (k + 1 tokens kept)": bug_top_k_plus_one,
    "top-k off by one (k - 1 tokens kept)": bug_top_k_minus_one,
    "temperature applied after top-p (the nucleus must be chosen from the tempered probabilities)": bug_temperature_after_top_p,
    UNNORMALISED: bug_unnormalised,
    "sampling from unnormalised probs (the filtered mass lands on the least likely kept token)":
        bug_unnormalised_sorted,
    "top-p applied before top-k": bug_top_p_before_top_k,
    "temperature multiplied instead of divided": bug_temperature_multiplied,
    "temperature ignored: the probabilities must be softmax(logits / temperature)": bug_temperature_ignored,
}


# --- drawing and testing ---------------------------------------------------------------------



def _token(result, v):
    try:
        tok = operator.index(result)
    except TypeError:
        C.fail(f"`{FN}` returned {result!r} ({type(result).__name__}); expected an int token id.")
    if not 0 <= tok < v:
        C.fail(f"`{FN}` returned token {tok}, outside the vocabulary 0..{v - 1}.",
               UNNORMALISED if tok == v else None)  # inverse CDF ran off the end: the mass was < 1
    return tok


def call(sub, logits, rng, **kw):
    try:
        result = sub.fn(FN)(logits, rng, **kw)
    except C.CheckFailed as exc:
        if exc.bug or "sum to 1" not in exc.message:
            raise  # a refusal keeps its own label
        C.fail(exc.message, UNNORMALISED)  # rng.choice(p=...) refuses probabilities that do not sum to 1
    return _token(result, len(logits))


def draw(sub, logits, n, seed, **kw):
    """Counts (V,) of n tokens drawn with one Generator passed to every call."""
    rng = C.rng(seed)
    counts = np.zeros(len(logits), dtype=np.int64)
    for _ in range(n):
        counts[call(sub, logits, rng, **kw)] += 1
    return counts






# A bug is named only when the counts favour it over every other consistent bug by this
# likelihood ratio (two bugs that sample from the same distribution here name neither).
MIN_LIKELIHOOD_RATIO = 1e3


def bug_fits(counts, logits, kw):
    """(label, log-likelihood) of every known bug whose distribution the counts are consistent
    with, most likely first (computed only on failure)."""
    found = []
    for label, f in BUGS.items():
        try:
            with np.errstate(all="ignore"):
                q = f(logits, **kw)
        except Exception:
            continue
        if not np.isfinite(q).all() or not C.consistent(counts, q):
            continue
        with np.errstate(divide="ignore"):
            found.append((label, float(np.sum(counts[counts > 0] * np.log(q[counts > 0])))))
    return sorted(found, key=lambda x: -x[1])


def diagnose(counts, logits, kw):
    """(label, sentence) for failing counts: the known bug that explains them uniquely best, or
    a sentence saying that several fit equally well or that none does."""
    found = bug_fits(counts, logits, kw)
    if len(found) == 1 or (len(found) > 1 and found[0][1] - found[1][1] >= math.log(MIN_LIKELIHOOD_RATIO)):
        return found[0][0], ""
    if found:
        tied = [label for label, ll in found if found[0][1] - ll < math.log(MIN_LIKELIHOOD_RATIO)]
        return None, (f"\nThese draws fit several classic bugs too closely to tell them apart "
                      f"({'; '.join(tied[:3])}), so none is named.")
    return None, "\nThese draws match none of the classic bugs this check knows."


def _fmt(p):
    return "[" + ", ".join(f"{x:.3f}" for x in p) + "]"


def check_distribution(sub, logits, n=2000, seed=0, **kw):
    logits = np.asarray(logits)
    p = reference(logits.astype(np.float64), **kw)
    counts = draw(sub, logits, n, seed, **kw)
    case = C.describe(logits=logits, **kw)
    outside = np.flatnonzero((p == 0) & (counts > 0))
    if outside.size:
        bug, extra = diagnose(counts, logits, kw)
        C.fail(f"token {outside[0]} was sampled {counts[outside[0]]} times out of {n} for {case}, but it is "
               f"outside the kept set (expected distribution {_fmt(p)}).{extra}", bug)
    if not C.consistent(counts, p):
        bug, extra = diagnose(counts, logits, kw)
        C.fail(f"the sampled frequencies {_fmt(counts / n)} ({n} draws) are not consistent with the expected "
               f"distribution {_fmt(p)} for {case}.{extra}", bug)
    return counts


def _log_probs(*probs):
    return np.log(np.asarray(probs, dtype=np.float64))


def test_plain_softmax(sub):
    """Without top-k/top-p, tokens follow softmax(logits / T) (T = 2)"""
    check_distribution(sub, [1.0, 2.5, 0.3, 2.0, -0.5, 1.6], temperature=2.0, seed=1)


def test_low_temperature(sub):
    """T = 0.5 sharpens the distribution"""
    check_distribution(sub, [1.0, 2.0, 0.3, 1.5, -0.5], temperature=0.5, seed=2)


def test_top_k(sub):
    """top_k = 3 keeps exactly the 3 most probable tokens, renormalised"""
    check_distribution(sub, [1.0, 2.5, 0.3, 2.0, -0.5, 1.6, 0.0, -1.0], top_k=3, seed=3)


def test_top_p_keeps_crossing_token(sub):
    """top_p = 0.6 on probs (.4, .3, .15, .1, .05) keeps the first two: the crossing token is kept"""
    counts = check_distribution(sub, _log_probs(0.4, 0.3, 0.15, 0.1, 0.05), top_p=0.6, seed=4)
    C.expect(counts[1] > 0, "token 1, whose probability takes the mass past top_p, was never sampled.",
             "crossing token dropped (top-p must keep the token that takes the mass past p)")


def test_temperature_before_top_p(sub):
    """Temperature is applied before top-p (T = 0.5, top_p = 0.7)"""
    # At T = 0.5 the nucleus is tokens {0, 1}; filtering at T = 1 would keep token 2 as well.
    check_distribution(sub, [1.0, 0.6, 0.3, 0.0, -0.5], temperature=0.5, top_p=0.7, seed=5)


def test_all_filters(sub):
    """Temperature, then top-k, then top-p, together"""
    logits = [0.2, 1.9, -0.4, 1.1, 2.3, 0.8, -1.5, 1.5, 0.0, -0.7]
    check_distribution(sub, logits, temperature=0.7, top_k=5, top_p=0.8, seed=6)


def test_top_k_then_top_p_renormalised(sub):
    """top-p runs on the renormalised top-k distribution"""
    # top-3 renormalised is (.4, .333, .267): top_p = 0.6 keeps two tokens; top-p on the full
    # distribution first would have kept three.
    check_distribution(sub, _log_probs(0.3, 0.25, 0.2, 0.15, 0.1), top_k=3, top_p=0.6, seed=7)


def test_float32_logits(sub):
    """float32 logits work"""
    check_distribution(sub, np.array([0.5, -1.0, 1.5, 0.7, 0.1], dtype=np.float32), top_p=0.9, seed=8)


def test_hostile_logits(sub):
    """Logits around +-1000 give a valid distribution (stable softmax)"""
    check_distribution(sub, [1000.0, 999.0, 998.5, -1000.0, 997.0, -999.0], top_p=0.95, seed=9)


def test_tokens_outside_filters_never_sampled(sub):
    """On 50 random logits, nothing outside the top-k / top-p set is ever drawn"""
    logits = C.randn(C.rng(10), 50, scale=2.0)
    for kw in ({"top_k": 5}, {"top_p": 0.5}, {"temperature": 0.5, "top_k": 10, "top_p": 0.8}):
        p = reference(logits, **kw)
        counts = draw(sub, logits, 400, 11, **kw)
        bad = np.flatnonzero((p == 0) & (counts > 0))
        if bad.size:
            bug, extra = diagnose(counts, logits, kw)
            C.fail(f"token {bad[0]} was sampled for {C.describe(**kw)} although only tokens "
                   f"{sorted(np.flatnonzero(p).tolist())} are kept.{extra}", bug)


def test_temperature_zero_is_argmax(sub):
    """Temperature 0 returns the argmax, whatever top_k and top_p say"""
    g = C.rng(12)
    for i, kw in enumerate(({}, {"top_k": 3}, {"top_p": 0.3}, {"top_k": 2, "top_p": 0.9})):
        logits = C.randn(g, 20, scale=3.0)
        expected = int(np.argmax(logits))
        got = call(sub, logits, C.rng(13 + i), temperature=0.0, **kw)
        C.expect(got == expected, f"with temperature=0 and {C.describe(**kw) or 'no filters'} got token {got}; "
                 f"expected the argmax {expected}.")


def test_top_k_one_and_tiny_top_p_are_greedy(sub):
    """top_k = 1, or top_p close to 0, always returns the most probable token"""
    logits = C.randn(C.rng(14), 12, scale=1.0)
    best = int(np.argmax(logits))
    for kw in ({"top_k": 1}, {"top_p": 1e-6}):
        counts = draw(sub, logits, 200, 15, **kw)
        if counts[best] != 200:
            bug, extra = diagnose(counts, logits, kw)
            C.fail(f"with {C.describe(**kw)} only token {best} (the argmax) may be sampled; got "
                   f"tokens {np.flatnonzero(counts).tolist()}.{extra}", bug)
