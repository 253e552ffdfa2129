"""Hidden suite for the `attention-dropout` drill. Never copied into the learner's workspace.

The keep/drop mask is random, so exact comparisons use the learner's own mask (the zero entries
of the weights it returns) and the randomness itself is checked by distribution: many masks are
drawn in one call (a batch of identical copies of q, k, v), the count of dropped weights at every
position is G-tested against Binomial(n, p), and the mean output is compared with the no-dropout
output using Bernstein's inequality. Every distributional check fails a correct solution with
probability below one in a million (ALPHA), and the seeds are fixed, so the suite is deterministic.
"""
import math

import numpy as np
import pytest

from tfprep.content.reference_impls.attention_dropout import attention_weights, softmax
from tfprep.grading import checks as C

FN = "attention_with_dropout"
ALPHA = 1e-6  # false-alarm probability of each distributional check

NO_RESCALE = "no 1/(1-p) rescale of the kept weights"
BEFORE_SOFTMAX = "dropout before the softmax (it belongs on the weights after the softmax)"
AT_INFERENCE = "dropout applied at inference (training=False must be plain attention)"
KEEP_PROB = "p used as the keep probability (p is the probability of dropping a weight)"
PRE_DROPOUT = "weights returned before dropout (return the dropped weights, the ones that multiply v)"
NOT_RNG = "randomness not drawn from `rng`"
SHARED_MASK = "one dropout mask shared across queries or keys (every weight needs its own draw)"


# --- the submission's output, and what each classic bug would return with the same mask -------

def call(sub, q, k, v, p, rng, training=True):
    out, w = C.unpack(sub.fn(FN)(q, k, v, p, rng, training=training), 2, FN)
    return C.as_array(out, "out"), C.as_array(w, "weights")


def make(seed, batch, t, s, d_k, d_v, scale=1.5, dtype=np.float64):
    g = C.rng(seed)
    return (C.randn(g, *batch, t, d_k, scale=scale, dtype=dtype), C.randn(g, *batch, s, d_k, scale=scale, dtype=dtype),
            C.randn(g, *batch, s, d_v, scale=scale, dtype=dtype))


def scores(q, k):
    q, k = q.astype(np.float64), k.astype(np.float64)
    return q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])


def weight_bugs(got_w, q, k, p, training=True, out_is_plain=True):
    """Known-bug weights built with the submission's own mask (its zero entries)."""
    w = attention_weights(q.astype(np.float64), k.astype(np.float64))
    kept = got_w != 0 if got_w.shape == w.shape else np.ones(w.shape, dtype=bool)

    def before_softmax():
        with np.errstate(all="ignore"):
            dropped_scores = softmax(np.where(kept, scores(q, k), -np.inf))  # dropped scores set to -inf
        rows_sum_to_one = (got_w.shape == w.shape and np.allclose(got_w.sum(-1), 1.0, atol=1e-6)
                           and not np.allclose(got_w, w, rtol=1e-4, atol=1e-5))
        if kept.all():  # no zero weights: the scores were scaled and zeroed, the rows still sum to 1
            return got_w if rows_sum_to_one else None
        return dropped_scores

    if not training:
        return {AT_INFERENCE: lambda: C.nearest(got_w, [kept * w / (1 - p), kept * w, kept * w / p])
                if p > 0 and not kept.all() else None}
    if p == 0:
        return {KEEP_PROB: lambda: C.nearest(got_w, [np.zeros_like(w), np.full_like(w, np.nan)])}
    dropped = not kept.all()
    return {NO_RESCALE: lambda: kept * w if dropped else None, KEEP_PROB: lambda: kept * w / p if dropped else None,
            BEFORE_SOFTMAX: before_softmax,
            # the weights untouched while out was dropped: they were returned before dropout
            PRE_DROPOUT: lambda: None if dropped or out_is_plain else w}


def check_call(sub, q, k, v, p, training=True, seed=0, rtol=1e-4, atol=1e-5):
    """One call: the weights equal softmax * mask / (1 - p) for the submission's own mask, and
    out equals those weights @ v. Returns (out, weights)."""
    q64, k64, v64 = (a.astype(np.float64) for a in (q, k, v))
    w = attention_weights(q64, k64)
    out, got_w = call(sub, q, k, v, p, C.rng(seed), training)
    case = C.describe(q=q, k=k, v=v, p=p, training=training)
    if training and p > 0:
        case += " (expected: softmax / (1 - p) where your weights are nonzero, 0 where they are 0)"
    if not training or p == 0:
        expected = w
    elif got_w.shape == w.shape:
        expected = np.where(got_w != 0, w / (1 - p), 0.0)
    else:
        expected = w
    plain_out = w @ v64
    out_is_plain = out.shape == plain_out.shape and np.allclose(out, plain_out, rtol=rtol, atol=atol)
    bugs = weight_bugs(got_w, q, k, p, training, out_is_plain)
    C.expect_close(got_w, expected, what="weights", case=case, rtol=rtol, atol=atol, bugs=bugs)
    if training and p > 0:
        C.expect((got_w != 0).any(), f"every weight was dropped for {case}: with p = {p} a fraction {1 - p:g} "
                 "of the weights survives.", KEEP_PROB if p < 0.5 else None)
    out_bugs = {PRE_DROPOUT: lambda: w @ v64} if training and p > 0 else {}
    C.expect_close(out, expected @ v64, what="out", case=case + " (out must equal weights @ v)",
                   rtol=rtol, atol=atol, bugs=out_bugs)
    return out, got_w


# --- exact checks ------------------------------------------------------------------------------

@pytest.mark.parametrize("seed,batch,t,s,d_k,d_v", [
    (0, (), 5, 5, 8, 8), (1, (2,), 4, 7, 16, 3), (2, (2, 3), 6, 3, 4, 9),
])
def test_inference_is_plain_attention(sub, seed, batch, t, s, d_k, d_v):
    """With training=False the result is plain attention, whatever p is (float64, several shapes)"""
    check_call(sub, *make(seed, batch, t, s, d_k, d_v), p=0.3, training=False, seed=seed)


def test_p_zero_is_plain_attention(sub):
    """With p = 0 and training=True nothing is dropped or rescaled"""
    check_call(sub, *make(3, (2,), 5, 6, 8, 4), p=0.0, training=True, seed=3)


@pytest.mark.parametrize("seed,batch,t,s,d_k,d_v,p", [
    (4, (), 6, 6, 8, 8, 0.3), (5, (3,), 5, 9, 16, 4, 0.3), (6, (2, 2), 4, 7, 8, 12, 0.2), (7, (2,), 3, 11, 4, 5, 0.6),
])
def test_kept_weights_rescaled(sub, seed, batch, t, s, d_k, d_v, p):
    """Each weight is either dropped (0) or the softmax weight times exactly 1/(1-p); out = weights @ v"""
    check_call(sub, *make(seed, batch, t, s, d_k, d_v), p=p, training=True, seed=seed)


def test_float32(sub):
    """float32 inputs work, in training and at inference"""
    q, k, v = make(8, (2,), 5, 8, 16, 6, dtype=np.float32)
    for training in (True, False):
        check_call(sub, q, k, v, p=0.25, training=training, seed=8, rtol=2e-3, atol=2e-4)


def test_hostile_magnitudes(sub):
    """Scores around +-1000 give finite, correct results (stable softmax), with and without dropout"""
    q, k, v = make(9, (2,), 4, 6, 4, 3, scale=1.0)
    q, k = q * 40.0, k * 40.0
    for training in (False, True):
        check_call(sub, q, k, v, p=0.3, training=training, seed=9)


# --- distributional checks ---------------------------------------------------------------------



def _binomial_g(k, n, p):
    """G statistic of counts k (any shape) out of n against Binomial(n, p), summed."""
    k = np.asarray(k, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(k > 0, k * np.log(k / (n * p)), 0.0)
        b = np.where(k < n, (n - k) * np.log((n - k) / (n * (1 - p))), 0.0)
    return float(2.0 * np.sum(a + b))


def copies(n, q, k, v):
    return tuple(np.repeat(a[None], n, axis=0) for a in (q, k, v))


@pytest.mark.parametrize("p,seed", [(0.3, 10), (0.1, 11)])
def test_drop_fraction(sub, p, seed):
    """A fraction p of the weights is zeroed, independently at every position (G-test, 3000 masks)"""
    n = 3000
    q, k, v = copies(n, *make(seed, (), 4, 7, 8, 5))
    _, got_w = call(sub, q, k, v, p, C.rng(seed))
    C.expect(got_w.shape == (n, 4, 7), f"weights has shape {got_w.shape}, expected {(n, 4, 7)}.")
    dropped = (got_w == 0).sum(axis=0)  # (T, S) counts out of n
    frac = dropped.sum() / got_w.size
    g = _binomial_g(dropped, n, p)
    if g > C.chi2_quantile(dropped.size):
        fits_keep = _binomial_g(dropped, n, 1 - p) <= C.chi2_quantile(dropped.size)
        C.fail(f"over {n} masks drawn for q (4, 8), k (7, 8), p={p}, a fraction {frac:.3f} of the weights was "
               f"zeroed (per position: {dropped.min() / n:.3f}..{dropped.max() / n:.3f}); each weight must be "
               f"dropped independently with probability p = {p} (G = {g:.1f}, fails at p-value < {ALPHA:g}).",
               KEEP_PROB if fits_keep else None)


def _pair_counts(dropped, pairs):
    """Counts of (neither, only the second, only the first, both) dropped over disjoint position pairs."""
    a = np.stack([dropped[:, i, j] for (i, j), _ in pairs], axis=1)
    b = np.stack([dropped[:, i, j] for _, (i, j) in pairs], axis=1)
    return np.array([(~a & ~b).sum(), (~a & b).sum(), (a & ~b).sum(), (a & b).sum()])


@pytest.mark.parametrize("along", ["queries", "keys"])
def test_masks_independent(sub, along):
    """Every weight gets its own draw: the masks of different queries (and of different keys) are independent (G-test)"""
    p, seed, n, t, s = 0.3, 12, 3000, 4, 7
    q, k, v = copies(n, *make(seed, (), t, s, 8, 5))
    _, got_w = call(sub, q, k, v, p, C.rng(seed))
    C.expect(got_w.shape == (n, t, s), f"weights has shape {got_w.shape}, expected {(n, t, s)}.")
    dropped = got_w == 0
    if along == "queries":  # disjoint pairs of rows at the same key: (0, 1), (2, 3)
        pairs = [((i, j), (i + 1, j)) for i in range(0, t - 1, 2) for j in range(s)]
    else:  # disjoint pairs of keys in the same row: (0, 1), (2, 3), (4, 5)
        pairs = [((i, j), (i, j + 1)) for i in range(t) for j in range(0, s - 1, 2)]
    counts = _pair_counts(dropped, pairs)
    independent = np.array([(1 - p) ** 2, (1 - p) * p, p * (1 - p), p * p])
    if not C.consistent(counts, independent):
        shared = C.consistent(counts, np.array([1 - p, 0.0, 0.0, p]))
        both = counts[3] / counts.sum()
        C.fail(f"over {n} masks, two weights of different {along} were both dropped in a fraction {both:.3f} of "
               f"the draws; independent draws give p^2 = {p * p:.3f} (G-test, fails at p-value < {ALPHA:g}). "
               "Draw one keep/drop decision per weight, for the full (..., Lq, Lk) shape.",
               SHARED_MASK if shared else None)


def _bernstein_halfwidth(var, b, n, m):
    """Half-width t with P(|mean - mu| >= t) <= ALPHA / m for a mean of n i.i.d. draws with
    variance var and |X - mu| <= b (Bernstein's inequality, two-sided)."""
    log_term = math.log(2.0 * m / ALPHA)
    lin = 2.0 * b * log_term / 3.0
    return (lin + np.sqrt(lin ** 2 + 8.0 * n * var * log_term)) / (2.0 * n)


def test_unbiased(sub):
    """Inverted dropout is unbiased: the mean of out and of weights over 4000 masks is the no-dropout result"""
    n, p = 4000, 0.3
    q1, k1, v1 = make(12, (), 4, 7, 8, 5)
    w = attention_weights(q1, k1)  # (T, S)
    mu = w @ v1  # (T, d_v)
    out, got_w = call(sub, *copies(n, q1, k1, v1), p, C.rng(12))
    C.expect(out.shape == (n, 4, 5) and got_w.shape == (n, 4, 7),
             f"out / weights have shapes {out.shape} / {got_w.shape}, expected {(n, 4, 5)} / {(n, 4, 7)}.")
    r = p / (1 - p)  # variance factor of mask / (1 - p)
    checks = [
        ("out", out.mean(axis=0), mu, r * (w ** 2) @ (v1 ** 2), (w @ np.abs(v1)) / (1 - p) + np.abs(mu)),
        ("weights", got_w.mean(axis=0), w, r * w ** 2, w / (1 - p)),
    ]
    m = mu.size + w.size
    for what, mean, target, var, bound in checks:
        t = _bernstein_halfwidth(var, bound, n, m)
        bad = np.abs(mean - target) > t
        if bad.any():
            ratio = float(np.median(mean[np.abs(target) > 0.05] / target[np.abs(target) > 0.05]))
            fits = [label for label, factor in ((NO_RESCALE, 1 - p), (KEEP_PROB, p / (1 - p)))
                    if np.all(np.abs(mean - factor * target) <= t * max(factor, 1.0) + 1e-12)]
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            C.fail(f"the mean of `{what}` over {n} dropout masks (p={p}) is not the no-dropout {what}: at index "
                   f"{idx} the mean is {mean[idx]:.4f}, expected {target[idx]:.4f} (+-{t[idx]:.4f} allowed); "
                   f"overall it is {ratio:.3f} times the expected value. Kept weights must be divided by 1 - p so "
                   f"that dropout leaves every expectation unchanged.", fits[0] if len(fits) == 1 else None)


def test_masks_come_from_rng(sub):
    """The mask is drawn from `rng`: equal seeds give equal results, successive calls new masks"""
    q, k, v = make(13, (2,), 5, 6, 8, 4)
    _, w1 = call(sub, q, k, v, 0.3, C.rng(14))
    _, w2 = call(sub, q, k, v, 0.3, C.rng(14))
    C.expect(w1.shape == w2.shape and np.array_equal(w1, w2),
             "two calls with generators seeded alike (np.random.default_rng(14)) returned different weights: take "
             "every random number from the `rng` argument, never from np.random's global state.", NOT_RNG)
    g = C.rng(15)
    o3, w3 = call(sub, q, k, v, 0.3, g)
    o4, w4 = call(sub, q, k, v, 0.3, g)
    C.expect(not (np.array_equal(w3, w4) and np.array_equal(o3, o4)),
             "two successive calls with the same generator dropped exactly the same weights: draw a fresh mask "
             "from `rng` on every call (a generator created inside the function repeats itself).", NOT_RNG)
