"""Hidden suite for the `speculative-decoding` drill. Never copied into the learner's workspace.

The accept / reject step is random, and a learner may draw from `rng` in any order, so tokens are
never compared one by one (except where the outcome is certain). Instead the suite drafts tokens
from q with its own generator, calls the submission thousands of times with one fixed-seed `rng`,
and G-tests what comes out against the exact distributions the algorithm implies:

  - the first emitted token against the target p_0 (the theorem of Leviathan et al. and Chen et
    al.: speculative sampling emits exactly the target's distribution);
  - the number n of accepted drafts, P(n >= m) = prod_{i < m} beta_i with
    beta_i = sum_x min(p_i(x), q_i(x));
  - the joint law of (n, last token): after n acceptances the last token is the residual
    norm(max(0, p_n - q_n)) when n < k, and the bonus p_k when n = k.

Each G-test fails a correct solution with probability below one in a million (ALPHA); seeds are
fixed, so the suite is deterministic. Every classic bug is written as the same joint law with one
piece changed, and is named only when its law fits the counts and beats every other consistent
bug by a likelihood ratio of MIN_LIKELIHOOD_RATIO.
"""
import math
import operator

import numpy as np
import pytest

from tfprep.grading import checks as C

FN = "speculative_accept"
ALPHA = 1e-6
MIN_LIKELIHOOD_RATIO = 1e3

P_GT_Q = "accepting by p > q (accept a draft token with probability min(1, p/q))"
UNNORMALISED = "residual not renormalised (sample from max(0, p - q) divided by its sum)"
NO_BONUS = "no bonus token (when all k drafts are accepted, sample one more from target_probs[k])"
FROM_TARGET = "resampled from target_probs instead of the residual max(0, p - q)"
SWAPPED = "residual max(0, q - p): p and q swapped"
BONUS_ROW = "bonus token drawn from target_probs[k - 1] (it comes from the last row, target_probs[k])"
NO_STOP = "did not stop at the first rejection (the token resampled there is the last one emitted)"
NOT_RNG = "randomness not drawn from `rng`"


# --- the exact law of (n accepted, last token) for the algorithm and for each bug ------------------

def _norm(r):
    s = r.sum()
    return r / s if s > 0 else np.full_like(r, np.nan)


def law(q, p, bug=None):
    """(k + 1, V) array: P[n, y] = probability that n drafts are accepted and y is the last token
    (output = drafts[:n] + [y]), for the correct algorithm or one with `bug`."""
    k, V = q.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        accept = (p[:k] > q).astype(float) if bug == P_GT_Q else np.where(q > 0, np.minimum(1.0, p[:k] / q), 0.0)
    P = np.zeros((k + 1, V))
    reach = 1.0  # probability that step i is reached
    for i in range(k):
        beta = float(np.sum(q[i] * accept[i]))
        plus = np.maximum(p[i] - q[i], 0.0)
        if bug == UNNORMALISED:  # inverse CDF over an unnormalised residual: the missing mass lands on the last id
            res = plus.copy()
            res[-1] += 1.0 - plus.sum()
        elif bug == FROM_TARGET:
            res = p[i]
        elif bug == SWAPPED:
            res = _norm(np.maximum(q[i] - p[i], 0.0))
        else:
            res = _norm(plus)
        if 1.0 - beta > 1e-12:
            P[i] += reach * (1.0 - beta) * res
        if bug == NO_BONUS and i == k - 1:  # output = the k drafts: read as "k - 1 accepted, last = draft k"
            P[i] += reach * q[i] * accept[i]
        reach *= beta
    if bug != NO_BONUS:
        P[k] += reach * (p[k - 1] if bug == BONUS_ROW and k > 0 else p[k])
    return P


def first_token_law(q, p, bug=None):
    """Distribution (V,) of the first emitted token."""
    if q.shape[0] == 0:
        return p[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        accept = (p[0] > q[0]).astype(float) if bug == P_GT_Q else np.where(q[0] > 0, np.minimum(1.0, p[0] / q[0]), 0)
    P = law(q, p, bug)
    if bug == NO_BONUS and q.shape[0] == 1:
        return P[0]  # the lone accepted draft is already counted in P[0]
    return q[0] * accept + P[0]


BUGS = (P_GT_Q, UNNORMALISED, NO_BONUS, FROM_TARGET, SWAPPED, BONUS_ROW)


# --- G-test and naming ----------------------------------------------------------------------------







def name_bug(counts, laws):
    fits = []
    for label, probs in laws.items():
        if C.consistent(counts, probs):
            c = np.ravel(counts) > 0
            fits.append((float(np.sum(np.ravel(counts)[c] * np.log(np.ravel(probs)[c]))), label))
    fits.sort(reverse=True)
    if len(fits) == 1 or (len(fits) > 1 and fits[0][0] - fits[1][0] >= math.log(MIN_LIKELIHOOD_RATIO)):
        return fits[0][1]
    return None


def _fmt(x):
    return "[" + ", ".join(f"{v:.3f}" for v in np.ravel(x)) + "]"


# --- calling the submission -----------------------------------------------------------------------

def _tokens(result, V):
    if isinstance(result, np.ndarray) and result.ndim == 1:
        result = result.tolist()
    if not isinstance(result, (list, tuple)):
        C.fail(f"`{FN}` returned a {type(result).__name__}; expected a list of int token ids.")
    try:
        out = [operator.index(t) for t in result]
    except TypeError:
        C.fail(f"`{FN}` returned {result!r}; expected a list of int token ids.")
    bad = [t for t in out if not 0 <= t < V]
    if bad:
        C.fail(f"`{FN}` returned token {bad[0]}, outside the vocabulary 0..{V - 1}.",
               UNNORMALISED if bad[0] == V else None)  # inverse CDF run off the end of a mass below 1
    return out


class LearnerRng(np.random.Generator):
    """The Generator handed to the learner: the same stream as `C.rng(seed)`, remembering the sum
    of the last `p` given to `choice`, so that NumPy refusing it can be explained."""

    last_p_sum = None

    def choice(self, a, size=None, replace=True, p=None, axis=0, shuffle=True):
        if p is not None:
            try:
                self.last_p_sum = float(np.sum(np.asarray(p, dtype=np.float64)))
            except (TypeError, ValueError):
                self.last_p_sum = None
        return super().choice(a, size, replace, p, axis, shuffle)


def learner_rng(seed):
    return LearnerRng(np.random.PCG64(seed))


def call(sub, drafts, q, p, rng):
    try:
        result = sub.fn(FN)(drafts, q, p, rng)
    except C.CheckFailed as exc:
        total = getattr(rng, "last_p_sum", None)
        if exc.bug is None and "sum to 1" in exc.message and total is not None:
            if abs(total - 1.0) > 1e-4:  # rng.choice refused a residual that was never normalised
                C.fail(exc.message, UNNORMALISED)
            C.fail(f"{exc.message}\nThe probabilities you gave rng.choice sum to {total!r}: normalised, but only to "
                   "float32 precision, and NumPy wants 1 within about 1e-8. Normalise in float64 "
                   "(`r = np.asarray(r, dtype=np.float64); r /= r.sum()`).")
        raise
    out = _tokens(result, p.shape[1])
    k = len(drafts)
    if not 1 <= len(out) <= k + 1:
        C.fail(f"`{FN}` returned {len(out)} tokens for k = {k} drafts; it emits between 1 and k + 1: the accepted "
               "drafts, then one resampled or bonus token.", NO_BONUS if k == 0 and not out else None)
    n = len(out) - 1
    if list(out[:n]) != [int(x) for x in drafts[:n]]:
        j = next(i for i in range(n) if out[i] != int(drafts[i]))
        C.fail(f"for drafts {list(map(int, drafts))} `{FN}` returned {out}: token {j} is not the draft token, yet "
               "more tokens follow it. Only accepted drafts come before the last token.", NO_STOP)
    return out


def drafts_from(q, n, seed):
    """(n, k) draft tokens, row i of q sampled independently for every draw (inverse CDF)."""
    g = C.rng(seed)
    u = g.random((n, q.shape[0]))
    cdf = np.cumsum(q, axis=1)
    return np.stack([np.minimum(np.searchsorted(cdf[i], u[:, i], side="right"), q.shape[1] - 1)
                     for i in range(q.shape[0])], axis=1) if q.shape[0] else np.zeros((n, 0), dtype=int)


def draw(sub, q, p, n, seed, as_array=False):
    """(n accepted, last token) for n calls of the submission, one Generator for all of them."""
    rng = learner_rng(seed)
    drafts = drafts_from(q, n, seed + 10_000)
    counts = np.zeros(p.shape, dtype=np.int64)  # (k + 1, V)
    firsts = np.zeros(p.shape[1], dtype=np.int64)
    for d in drafts:
        out = call(sub, d if as_array else [int(x) for x in d], q, p, rng)
        counts[len(out) - 1, out[-1]] += 1
        firsts[out[0]] += 1
    return counts, firsts


# --- configurations -------------------------------------------------------------------------------

def config(name):
    """(q (k, V), p (k + 1, V)) test inputs."""
    g = C.rng({"dense": 1, "sparse": 2}[name])
    if name == "dense":  # k = 3, V = 6, everything overlaps
        q = g.dirichlet(np.full(6, 1.0), size=3)
        p = g.dirichlet(np.full(6, 1.0), size=4)
        return q, p
    # k = 4, V = 7, float32; the target gives zero mass to some tokens the draft likes
    q = g.dirichlet(np.full(7, 0.8), size=4)
    p = g.dirichlet(np.full(7, 0.8), size=5)
    p[:4, :2] = 0.0
    p /= p.sum(axis=1, keepdims=True)
    return q.astype(np.float32), p.astype(np.float32)


_CACHE = {}
N_DRAWS = 3000


def draws(sub, name):
    if name not in _CACHE:
        q, p = config(name)
        _CACHE[name] = draw(sub, q, p, N_DRAWS, seed={"dense": 3, "sparse": 4}[name], as_array=name == "sparse")
    return _CACHE[name]


def _laws(q, p, f):
    out = {}
    for b in BUGS:
        with np.errstate(all="ignore"):
            d = f(q.astype(np.float64), p.astype(np.float64), b)
        if np.isfinite(d).all():
            out[b] = d
    return out


CONFIGS = ["dense", "sparse"]


@pytest.mark.parametrize("name", CONFIGS)
def test_first_token_follows_target(sub, name):
    """The first emitted token is distributed exactly as target_probs[0] (3000 calls, G-test)"""
    q, p = config(name)
    _, firsts = draws(sub, name)
    expected = p[0].astype(np.float64)
    if not C.consistent(firsts, expected):
        C.fail(f"over {N_DRAWS} calls (k = {q.shape[0]}, V = {q.shape[1]}, drafts sampled from draft_probs) the first "
               f"emitted token has frequencies {_fmt(firsts / firsts.sum())}; speculative sampling must reproduce "
               f"the target distribution {_fmt(expected)} exactly (G-test, fails at p-value < {ALPHA:g}).",
               name_bug(firsts, _laws(q, p, first_token_law)))


@pytest.mark.parametrize("name", CONFIGS)
def test_number_accepted(sub, name):
    """The number of accepted drafts has the law P(n >= m) = prod of sum_x min(p_i(x), q_i(x)) (G-test)"""
    q, p = config(name)
    counts, _ = draws(sub, name)
    expected = law(q.astype(np.float64), p.astype(np.float64)).sum(axis=1)
    got = counts.sum(axis=1)
    if not C.consistent(got, expected):
        C.fail(f"over {N_DRAWS} calls the number of accepted drafts n = 0..{q.shape[0]} has frequencies "
               f"{_fmt(got / got.sum())}; expected {_fmt(expected)}, from accepting draft i with probability "
               f"min(1, p_i(x) / q_i(x)) (G-test, fails at p-value < {ALPHA:g}).",
               name_bug(got, {b: d.sum(axis=1) for b, d in _laws(q, p, law).items()}))


@pytest.mark.parametrize("name", CONFIGS)
def test_joint_law(sub, name):
    """After n acceptances the last token follows the residual norm(max(0, p_n - q_n)), or p_k when n = k"""
    q, p = config(name)
    counts, _ = draws(sub, name)
    expected = law(q.astype(np.float64), p.astype(np.float64))
    if not C.consistent(counts, expected):
        k = q.shape[0]
        rows = [f"n={n}: got {_fmt(counts[n] / max(counts[n].sum(), 1))} expected "
                f"{_fmt(expected[n] / expected[n].sum())}" for n in range(k + 1)]
        C.fail(f"over {N_DRAWS} calls the last emitted token, grouped by the number n of accepted drafts, does not "
               f"follow the residual (n < k) or target_probs[k] (n = k = {k}) (G-test, fails at p-value < "
               f"{ALPHA:g}):\n" + "\n".join(rows), name_bug(counts, _laws(q, p, law)))


# --- degenerate inputs: the outcome is certain ----------------------------------------------------

def test_equal_models_accept_everything(sub):
    """When draft_probs == target_probs[:k], every draft is accepted and a bonus token follows from target_probs[k]"""
    g = C.rng(20)
    q = g.dirichlet(np.ones(5), size=3)
    p = np.concatenate([q, g.dirichlet(np.ones(5), size=1)])
    p[3, 0] = 0.0  # token 0 impossible for the bonus; target_probs[2] gives it mass
    p[3] /= p[3].sum()
    rng = learner_rng(21)
    bonus = np.zeros(5, dtype=np.int64)
    drafts = drafts_from(q, 1000, 22)
    for d in drafts:
        d = [int(x) for x in d]
        try:
            out = call(sub, d, q, p, rng)
        except C.CheckFailed as exc:
            if exc.bug is None and "nan" in exc.message.lower():  # 0 / 0: a rejection left an empty residual
                C.fail(exc.message + " Here p == q, so min(1, p/q) = 1 accepts every draft.", P_GT_Q)
            raise
        if out == d:
            C.fail(f"with draft_probs equal to target_probs[:3], drafts {d} came back as {out}: all were accepted "
                   "but no bonus token follows.", NO_BONUS)
        C.expect(len(out) == 4, f"with draft_probs equal to target_probs[:3] every draft must be accepted "
                 f"(min(1, p/q) = 1); drafts {d} gave {out}.", P_GT_Q if len(out) == 1 else None)
        bonus[out[-1]] += 1
    if not C.consistent(bonus, p[3]):
        C.fail(f"the bonus tokens have frequencies {_fmt(bonus / bonus.sum())}; expected target_probs[k] = "
               f"{_fmt(p[3])} (G-test, fails at p-value < {ALPHA:g}).",
               name_bug(bonus, {BONUS_ROW: p[2]}))


def test_disjoint_supports_reject_first(sub):
    """When target and draft give their mass to different tokens, the first draft is rejected and the token resampled from the residual"""
    g = C.rng(23)
    V, k = 8, 3
    q = np.zeros((k, V))
    p = np.zeros((k + 1, V))
    q[:, :4] = g.dirichlet(np.ones(4), size=k)  # the draft only likes tokens 0..3
    p[:, 4:] = g.dirichlet(np.ones(4), size=k + 1)  # the target only 4..7: residual = p
    rng = learner_rng(24)
    firsts = np.zeros(V, dtype=np.int64)
    for d in drafts_from(q, 1000, 25):
        d = [int(x) for x in d]
        out = call(sub, d, q, p, rng)
        C.expect(len(out) == 1, f"with disjoint supports (p_i(x) = 0 for every drafted x) the first draft is "
                 f"always rejected and one resampled token is the whole output; drafts {d} gave {out}.",
                 NO_STOP if len(out) > 1 and out[0] != d[0] else None)
        firsts[out[0]] += 1
    if not C.consistent(firsts, p[0]):
        C.fail(f"the resampled tokens have frequencies {_fmt(firsts / firsts.sum())}; with disjoint supports the "
               f"residual max(0, p - q) is p itself, expected {_fmt(p[0])} (G-test, fails at p-value < {ALPHA:g}).",
               name_bug(firsts, {SWAPPED: q[0]}))


def test_no_drafts(sub):
    """With k = 0 drafts the output is one token sampled from target_probs[0]"""
    p = C.rng(26).dirichlet(np.ones(5), size=1)
    rng = learner_rng(27)
    counts = np.zeros(5, dtype=np.int64)
    for _ in range(600):
        out = call(sub, [], np.zeros((0, 5)), p, rng)
        counts[out[0]] += 1
    C.expect(C.consistent(counts, p[0]), f"with no drafts the tokens have frequencies {_fmt(counts / counts.sum())}; "
             f"expected target_probs[0] = {_fmt(p[0])} (G-test, fails at p-value < {ALPHA:g}).")


def test_returns_list_of_ints(sub):
    """The result is a list of int token ids"""
    q, p = config("dense")
    d = [int(x) for x in drafts_from(q, 1, 28)[0]]
    result = sub.fn(FN)(d, q, p, learner_rng(29))
    C.expect(isinstance(result, list), f"`{FN}` returned a {type(result).__name__}; expected a list of ints.")
    _tokens(result, p.shape[1])


def test_draws_come_from_rng(sub):
    """Randomness comes from `rng`: equal seeds give equal results"""
    q, p = config("dense")
    for i, d in enumerate(drafts_from(q, 20, 30)):
        d = [int(x) for x in d]
        a, b = call(sub, d, q, p, learner_rng(31 + i)), call(sub, d, q, p, learner_rng(31 + i))
        C.expect(a == b, f"two calls with generators seeded alike returned {a} and {b} for drafts {d}: take every "
                 "random number from the `rng` argument, never from np.random's global state.", NOT_RNG)
