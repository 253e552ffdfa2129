"""Hidden suite for the `mlm-masking` drill. Never copied into the learner's workspace.

Masking is random, so the suite reads the submission's choices back from its output (a position
is selected iff its label is not -100) and tests them by distribution on thousands of positions
with fixed seeds: the selection count against Binomial(n, p), the spread of the per-sequence
counts (independent selection), and the replacement of the selected tokens against the exact
80 / 10 / 10 mixture (G-tests). Each test fails a correct solution with probability below one in
a million (ALPHA). A known bug is named only when its distribution is consistent with the counts
and fits them MIN_LIKELIHOOD_RATIO times better than every other consistent one.
"""
import math

import numpy as np
import pytest

from tfprep.content.reference_impls.mlm_masking import IGNORE_INDEX
from tfprep.grading import checks as C

FN = "mask_for_mlm"
ALPHA = 1e-6
MIN_LIKELIHOOD_RATIO = 1e3
V, PAD, CLS, SEP, MASK = 16, 0, 1, 2, 3  # ids 4..15 are ordinary tokens
SPECIALS = (PAD, CLS, SEP)

SPECIAL = "special tokens masked (positions holding special_ids are never selected)"
ALL_MASK = "100% [MASK]: every selected position became mask_id (80% [MASK], 10% random, 10% unchanged)"
LABELS_UNSELECTED = "labels on unselected positions (they must be -100 everywhere but the selected positions)"
LABELS_CORRUPTED = "labels taken from the corrupted inputs (a label is the original id)"
LABELS_CHANGED_ONLY = "labels only where the input changed (the 10% left unchanged are selected too)"
NO_RANDOM = "no random-token branch (20% left unchanged instead of 10% random + 10% unchanged)"
RANDOM_RANGE = "random ids drawn from a range that misses the top of the vocabulary (0..vocab_size-2)"
NO_UNCHANGED = "no unchanged branch (20% random instead of 10% random + 10% unchanged)"
RANDOM_NO_SPECIALS = "random tokens drawn only from the non-special ids (draw uniformly from all vocab_size ids)"
FIXED_COUNT = ("a fixed number of positions selected per sequence (each position must be selected on its own "
               "with probability p)")
NOT_RNG = "randomness not drawn from `rng`"


# --- inputs and calls --------------------------------------------------------------------------

def make_tokens(seed, b, t, constant=None):
    """(b, t) rows [CLS, ordinary tokens..., SEP, PAD...] with random lengths."""
    g = C.rng(seed)
    ids = np.full((b, t), PAD, dtype=np.int64)
    for row in ids:
        n = int(g.integers(t // 2, t - 1))
        row[0] = CLS
        row[1:n + 1] = constant if constant is not None else g.integers(4, V, size=n)
        row[n + 1] = SEP
    return ids


def call(sub, ids, seed_or_rng, special_ids=SPECIALS, p=None, mask_id=MASK):
    rng = C.rng(seed_or_rng) if isinstance(seed_or_rng, int) else seed_or_rng
    kw = {} if p is None else {"p": p}
    inputs, labels = C.unpack(sub.fn(FN)(ids, rng, mask_id, V, special_ids=special_ids, **kw), 2, FN)
    out = []
    for what, a in (("inputs", inputs), ("labels", labels)):
        arr = C.as_array(a, what)
        C.expect(arr.shape == ids.shape, f"`{what}` has shape {arr.shape}, expected {ids.shape} (that of token_ids).")
        C.expect(arr.dtype.kind in "iu" or (arr == np.round(arr)).all(),
                 f"`{what}` has dtype {arr.dtype} with non-integer values; expected token ids.")
        out.append(arr.astype(np.int64))
    return out


def structure(ids, inputs, labels, special):
    """Deterministic rules every output obeys; fails with the first one broken."""
    bad = (labels != IGNORE_INDEX) & (labels != ids)
    if bad.any():
        i = tuple(int(x) for x in np.argwhere(bad)[0])
        corrupted = bool(np.all(labels[bad] == inputs[bad]))
        C.fail(f"labels{list(i)} = {labels[i]}, but the token there was {ids[i]}: a label is -100 or the original "
               "token id.", LABELS_CORRUPTED if corrupted else None)
    sp = special & ((labels != IGNORE_INDEX) | (inputs != ids))
    if sp.any():
        i = tuple(int(x) for x in np.argwhere(sp)[0])
        C.fail(f"position {list(i)} holds the special id {ids[i]} but was selected (input {inputs[i]}, label "
               f"{labels[i]}): special positions keep their id and get label -100.", SPECIAL)
    lost = (labels == IGNORE_INDEX) & (inputs != ids)
    if lost.any():
        i = tuple(int(x) for x in np.argwhere(lost)[0])
        C.fail(f"position {list(i)} was changed from {ids[i]} to {inputs[i]} but its label is -100: every changed "
               "position is a selected one, labelled with its original id.")
    out_of_range = (inputs < 0) | (inputs >= V)
    if out_of_range.any():
        i = tuple(int(x) for x in np.argwhere(out_of_range)[0])
        C.fail(f"inputs{list(i)} = {inputs[i]} is outside the vocabulary 0..{V - 1} (vocab_size = {V}).")


# --- statistics --------------------------------------------------------------------------------



UPPER_Z = 4.753  # upper tail one in a million
LOWER_Z = -5.998  # lower tail one in a billion: extra margin, the approximation is rougher there






def name_bug(counts, candidates):
    """The candidate distribution that explains `counts` uniquely best, or None."""
    fits = []
    for label, probs in candidates.items():
        if probs is not None and C.consistent(counts, probs):
            with np.errstate(divide="ignore"):
                fits.append((float(np.sum(counts[counts > 0] * np.log(np.asarray(probs)[counts > 0]))), label))
    fits.sort(reverse=True)
    if len(fits) == 1 or (len(fits) > 1 and fits[0][0] - fits[1][0] >= math.log(MIN_LIKELIHOOD_RATIO)):
        return fits[0][1]
    return None


def replacement_probs(orig, mask_frac=0.8, random_frac=0.1, unchanged_frac=0.1, support=None,
                      labelled_if_changed=False):
    """Distribution over the V ids of the input at a selected position holding `orig`."""
    d = np.zeros(V)
    d[MASK] += mask_frac
    d[orig] += unchanged_frac
    ids = np.arange(V) if support is None else np.asarray(support)
    d[ids] += random_frac / len(ids)
    if labelled_if_changed:  # positions that kept their id carry no label, so they are never seen
        d[orig] = 0.0
        d /= d.sum()
    return d


def replacement_bugs(orig):
    return {
        ALL_MASK: replacement_probs(orig, 1.0, 0.0, 0.0),
        NO_RANDOM: replacement_probs(orig, 0.8, 0.0, 0.2),
        NO_UNCHANGED: replacement_probs(orig, 0.8, 0.2, 0.0),
        RANDOM_NO_SPECIALS: replacement_probs(orig, support=[t for t in range(V) if t not in SPECIALS]),
        LABELS_CHANGED_ONLY: replacement_probs(orig, labelled_if_changed=True),
    }


def _fmt(x):
    return "[" + ", ".join(f"{v:.3f}" for v in x) + "]"


# --- checks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed,shape,special_ids", [
    (0, (8, 40), SPECIALS), (1, (3, 17), list(SPECIALS)), (2, (1, 64), np.array(SPECIALS + (MASK,))),
])
def test_output_structure(sub, seed, shape, special_ids):
    """Labels are the original id at selected positions and -100 elsewhere; unselected inputs are unchanged"""
    ids = make_tokens(seed, *shape)
    inputs, labels = call(sub, ids, seed, special_ids=special_ids, p=0.3)
    structure(ids, inputs, labels, np.isin(ids, SPECIALS))
    C.expect((labels != IGNORE_INDEX).any(), f"no position was selected in {ids.size} tokens with p = 0.3.")


def test_one_dimensional_input(sub):
    """A single sequence of shape (T,) works"""
    ids = make_tokens(3, 1, 50)[0]
    inputs, labels = call(sub, ids, 3, p=0.3)
    structure(ids, inputs, labels, np.isin(ids, SPECIALS))


def test_special_tokens_never_selected(sub):
    """Positions holding a special id are never selected, even at p = 0.9 (PAD, CLS, SEP given as special_ids)"""
    ids = make_tokens(4, 20, 30)
    ids[:, 5] = SEP  # specials in the middle of a sequence too
    inputs, labels = call(sub, ids, 4, p=0.9)
    structure(ids, inputs, labels, np.isin(ids, SPECIALS))


def test_p_zero_and_one(sub):
    """p = 0 selects nothing; p = 1 selects every ordinary token"""
    ids = make_tokens(5, 6, 25)
    special = np.isin(ids, SPECIALS)
    inputs, labels = call(sub, ids, 5, p=0.0)
    C.expect(np.array_equal(inputs, ids) and (labels == IGNORE_INDEX).all(),
             f"with p = 0 {int((labels != IGNORE_INDEX).sum())} positions were selected and "
             f"{int((inputs != ids).sum())} changed; expected none.",
             LABELS_UNSELECTED if (labels[~special] != IGNORE_INDEX).all() else None)
    inputs, labels = call(sub, ids, 6, p=1.0)
    structure(ids, inputs, labels, special)
    C.expect((labels[~special] == ids[~special]).all(),
             f"with p = 1 only {int((labels[~special] != IGNORE_INDEX).sum())} of {int((~special).sum())} ordinary "
             "positions were selected; expected all of them.")


def _selection_bug(labelled, ordinary):
    return LABELS_UNSELECTED if labelled[ordinary].all() else None


@pytest.mark.parametrize("p,seed", [(None, 7), (0.4, 8)])
def test_selection_rate(sub, p, seed):
    """Each ordinary position is selected with probability p (default 0.15), independently (G-tests, 12000 tokens)"""
    ids = make_tokens(seed, 100, 120)
    inputs, labels = call(sub, ids, seed, p=p)
    rate = 0.15 if p is None else p
    special = np.isin(ids, SPECIALS)
    structure(ids, inputs, labels, special)
    labelled, ordinary = labels != IGNORE_INDEX, ~special
    n, k = int(ordinary.sum()), int(labelled[ordinary].sum())
    what = "the default p = 0.15" if p is None else f"p = {p}"
    if not C.consistent(np.array([k, n - k]), np.array([rate, 1 - rate])):
        C.fail(f"{k} of {n} ordinary positions were selected (a fraction {k / n:.3f}); with {what} expected about "
               f"{rate * n:.0f} (G-test, fails at p-value < {ALPHA:g}).", _selection_bug(labelled, ordinary))
    # Per sequence: Pearson's dispersion statistic is ~ chi-square(rows) when positions are independent.
    n_r, k_r = ordinary.sum(axis=1), (labelled & ordinary).sum(axis=1)
    x2 = float(np.sum((k_r - n_r * rate) ** 2 / (n_r * rate * (1 - rate))))
    rows = len(n_r)
    C.expect(x2 >= C.chi2_quantile(rows, LOWER_Z),
             f"the number of selected positions hardly varies between sequences (dispersion {x2:.1f}, expected "
             f"about {rows} for {rows} sequences; per-sequence counts {k_r[:6].tolist()}... for lengths "
             f"{n_r[:6].tolist()}...): selecting round(p * length) positions per sequence, as BERT's original "
             "data script does, is not what is asked here.", FIXED_COUNT)
    C.expect(x2 <= C.chi2_quantile(rows, UPPER_Z),
             f"the number of selected positions varies between sequences far more than independent selection "
             f"allows (dispersion {x2:.1f}, expected about {rows}).")


def _replacement_counts(sub, ids, seed, orig=None):
    inputs, labels = call(sub, ids, seed, p=0.5)
    special = np.isin(ids, SPECIALS)
    structure(ids, inputs, labels, special)
    chosen = labels != IGNORE_INDEX
    if chosen[~special].all():
        C.fail("every ordinary position carries a label, so the selected ones cannot be told apart.",
               LABELS_UNSELECTED)
    return inputs, labels, chosen


def test_replacement_uniform_over_vocabulary(sub):
    """Selected tokens: 80% mask_id, 10% a uniform random id (any of vocab_size), 10% unchanged (G-test)"""
    orig = 5
    ids = make_tokens(9, 200, 64, constant=orig)
    inputs, _, chosen = _replacement_counts(sub, ids, 9)
    counts = np.bincount(inputs[chosen], minlength=V)
    expected = replacement_probs(orig)
    n = int(counts.sum())
    # A random id that never comes up carries too little mass for the G-test to notice (the
    # classic `rng.integers(0, vocab_size - 1)`), so every id is also required to appear: with at
    # least 20 draws expected per id, a correct sampler misses one with probability < V e^-20.
    assert (expected * n)[expected > 0].min() >= 20, "suite design: too few draws per id"
    never = [i for i in range(V) if expected[i] > 0 and counts[i] == 0]
    top_missing = bool(never) and never == list(range(V - len(never), V))
    if not C.consistent(counts, expected) or never:
        freq = counts / counts.sum()
        bug = name_bug(counts, {label: d for label, d in replacement_bugs(orig).items() if label != NO_RANDOM})
        missing = (f" Ids {never} never appeared, although each should come up about "
                   f"{float(expected[never[0]] * n):.0f} times." if never else "")
        C.fail(f"at the {n} selected positions (all holding token {orig}; mask_id = {MASK}, "
               f"vocab_size = {V}) the input ids have frequencies {_fmt(freq)} over ids 0..{V - 1}; expected "
               f"{_fmt(expected)}: 0.8 on mask_id, 0.1 on the original token, and 0.1 spread evenly over all "
               f"{V} ids (`rng.integers(0, vocab_size)` already excludes its upper bound; G-test, fails at "
               f"p-value < {ALPHA:g}).{missing}", bug or (RANDOM_RANGE if top_missing else None))


def test_replacement_split(sub):
    """The 80 / 10 / 10 split holds on varied tokens (mask_id / random / unchanged, G-test)"""
    ids = make_tokens(10, 100, 64)
    inputs, labels, chosen = _replacement_counts(sub, ids, 10)
    orig = ids[chosen]
    got = inputs[chosen]
    counts = np.array([(got == MASK).sum(), (got == orig).sum(), ((got != MASK) & (got != orig)).sum()])

    def three(d, o=4):
        return np.array([d[MASK], d[o], 1.0 - d[MASK] - d[o]])

    expected = three(replacement_probs(4))
    if not C.consistent(counts, expected):
        freq = counts / counts.sum()
        C.fail(f"of the {counts.sum()} selected positions, a fraction {freq[0]:.3f} became mask_id, {freq[1]:.3f} "
               f"kept their token and {freq[2]:.3f} got another token; expected {expected[0]:.3f} / "
               f"{expected[1]:.3f} / {expected[2]:.3f} (80% [MASK], 10% random over {V} ids, 10% unchanged; "
               f"G-test, fails at p-value < {ALPHA:g}).",
               name_bug(counts, {label: three(d) for label, d in replacement_bugs(4).items()}))


def test_masks_come_from_rng(sub):
    """Randomness comes from `rng`: equal seeds give equal results, successive calls new choices"""
    ids = make_tokens(11, 8, 40)
    a = call(sub, ids, 12, p=0.3)
    b = call(sub, ids, 12, p=0.3)
    C.expect(all(np.array_equal(x, y) for x, y in zip(a, b)),
             "two calls with generators seeded alike returned different results: take every random number from "
             "the `rng` argument, never from np.random's global state or the `random` module.", NOT_RNG)
    g = C.rng(13)
    c, d = call(sub, ids, g, p=0.3), call(sub, ids, g, p=0.3)
    C.expect(not all(np.array_equal(x, y) for x, y in zip(c, d)),
             "two successive calls with the same generator selected exactly the same positions: draw from `rng` "
             "on every call.", NOT_RNG)
