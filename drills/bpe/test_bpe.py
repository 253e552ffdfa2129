"""Hidden suite for the `bpe` drill. Never copied into the learner's workspace.

Merges are compared exactly; a wrong list of merges is named after the classic bug whose
training returns that very list on the same corpus (and only when a single bug does).
"""
from collections import Counter

import pytest

from tfprep.content.reference_impls.bpe import bpe_encode as ref_encode
from tfprep.content.reference_impls.bpe import pair_counts
from tfprep.content.reference_impls.bpe import train_bpe as ref_train
from tfprep.grading import checks as C


# --- known bugs: training and encoding with one classic mistake -------------------------------

def _merge_all(symbols, pair, first_only=False):
    out, i, done = [], 0, False
    while i < len(symbols):
        if not done and i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(symbols[i] + symbols[i + 1])
            i += 2
            done = first_only
        else:
            out.append(symbols[i])
            i += 1
    return tuple(out)


def _non_overlapping(symbols):
    """Each distinct pair counted the way `str.count` would: left to right, without overlaps."""
    found = {}
    for pair in dict.fromkeys(zip(symbols, symbols[1:])):
        i, n = 0, 0
        while i < len(symbols) - 1:
            if (symbols[i], symbols[i + 1]) == pair:
                n, i = n + 1, i + 2
            else:
                i += 1
        found[pair] = n
    return found


def _count(seqs, overlap="all"):
    """Pair counts over (symbols, freq) items in corpus order (a dict keeps first-seen order)."""
    counts = {}
    for symbols, freq in seqs:
        if overlap == "all":
            pairs = Counter(zip(symbols, symbols[1:]))
        elif overlap == "distinct":
            pairs = dict.fromkeys(zip(symbols, symbols[1:]), 1)
        else:
            pairs = _non_overlapping(symbols)
        for p, n in pairs.items():
            counts[p] = counts.get(p, 0) + n * freq
    return counts


TIE_RULES = {
    "smallest": lambda counts: min(counts, key=lambda p: (-counts[p], p)),
    "largest": lambda counts: max(counts, key=lambda p: (counts[p], p)),
    "first seen": lambda counts: max(counts, key=counts.get),
    "last seen": lambda counts: max(reversed(list(counts)), key=counts.get),
    "joined string": lambda counts: min(counts, key=lambda p: (-counts[p], p[0] + p[1])),
}


def train(words, num_merges, tie="smallest", overlap="all", across=False, dedup=False, first_only=False):
    """BPE training with switches for the classic mistakes (defaults: the correct training)."""
    if across:
        words = ["".join(words)]
    vocab = dict(Counter(tuple(w) for w in words))  # first-seen order
    if dedup:
        vocab = {k: 1 for k in vocab}
    merges = []
    for _ in range(num_merges):
        counts = _count(vocab.items(), overlap)
        if not counts:
            break
        best = TIE_RULES[tie](counts)
        merges.append(best)
        new = {}
        for symbols, freq in vocab.items():
            key = _merge_all(symbols, best, first_only)
            new[key] = new.get(key, 0) + freq
        vocab = new
    return merges


def encode_longest(word, merges):
    """WordPiece-style: the longest vocabulary token at each position, left to right."""
    vocab = set(word) | {a + b for a, b in merges}
    out, i = [], 0
    while i < len(word):
        j = max(j for j in range(i + 1, len(word) + 1) if word[i:j] in vocab or j == i + 1)
        out.append(word[i:j])
        i = j
    return out


def encode_leftmost(word, merges):
    """Merges the leftmost pair that is any learned merge, whatever its rank."""
    learned, s = set(map(tuple, merges)), tuple(word)
    while True:
        for i in range(len(s) - 1):
            if (s[i], s[i + 1]) in learned:
                s = s[:i] + (s[i] + s[i + 1],) + s[i + 2:]
                break
        else:
            return list(s)


def encode_first_only(word, merges):
    s = tuple(word)
    for pair in merges:
        s = _merge_all(s, tuple(pair), first_only=True)
    return list(s)


TIES = "ties broken differently (equal counts go to the smallest (left, right) tuple)"
ACROSS = "counting pairs across word boundaries (pairs are counted inside each word only)"
OVERLAP = "overlapping pairs not all counted (every adjacent position counts: 'aaa' holds (a, a) twice)"
DEDUP = "repeated words counted once (every occurrence of a word in the list counts)"
FIRST_ONLY = "a merge applied to only the first occurrence in a word (it replaces every occurrence)"
LONGEST = "greedy longest match instead of rank order (merges are replayed, earliest learned first)"
LEFTMOST = "leftmost mergeable pair merged first instead of the lowest-rank one"
NO_STOP = "training does not stop when no pair is left"

TRAIN_BUGS = {
    TIES: [dict(tie=t) for t in TIE_RULES if t != "smallest"],
    ACROSS: [dict(across=True)],
    OVERLAP: [dict(overlap="distinct"), dict(overlap="non-overlapping")],
    DEDUP: [dict(dedup=True)],
    FIRST_ONLY: [dict(first_only=True)],
}
ENCODE_BUGS = {LONGEST: encode_longest, LEFTMOST: encode_leftmost, FIRST_ONLY: encode_first_only}


def _unique(found):
    return found[0] if len(found) == 1 else None


def train_bug(got, words, num_merges, expected):
    return _unique([label for label, variants in TRAIN_BUGS.items()
                    if any((out := train(words, num_merges, **kw)) == got and out != expected for kw in variants)])


def encode_bug(got, word, merges, expected):
    return _unique([label for label, f in ENCODE_BUGS.items() if (out := f(word, merges)) == got and out != expected])


# --- calling and comparing -------------------------------------------------------------------

def _show(words, limit=8):
    c = Counter(words)
    items = [f"{w!r} x{n}" if n > 1 else repr(w) for w, n in c.items()]
    return "[" + ", ".join(items[:limit]) + (", ..." if len(items) > limit else "") + "]"


def as_merges(result):
    if not isinstance(result, (list, tuple)):
        C.fail(f"`train_bpe` returned a {type(result).__name__}; expected a list of (left, right) tuples.")
    merges = []
    for i, m in enumerate(result):
        if not (isinstance(m, (tuple, list)) and len(m) == 2 and all(isinstance(s, str) for s in m)):
            C.fail(f"`train_bpe` returned {m!r} as merge {i}; each merge is a tuple (left, right) of two str.")
        merges.append((m[0], m[1]))
    return merges


def as_tokens(result, word):
    if not isinstance(result, (list, tuple)) or not all(isinstance(s, str) for s in result):
        C.fail(f"`bpe_encode({word!r}, merges)` returned {result!r}; expected a list of str.")
    return list(result)


def counts_at(words, merges, step):
    """The pair counts the correct training sees before merge number `step` (0-based), given
    the first `step` merges."""
    vocab = Counter(tuple(w) for w in words)
    for pair in merges[:step]:
        new = Counter()
        for symbols, freq in vocab.items():
            new[_merge_all(symbols, pair)] += freq
        vocab = new
    return pair_counts(vocab)


def run_train(sub, words, num_merges, why=""):
    expected = ref_train(words, num_merges)
    got = as_merges(sub.fn("train_bpe")(list(words), num_merges))
    if got == expected:
        return got
    case = f"words={_show(words)}, num_merges={num_merges}"
    step = next((i for i, (g, e) in enumerate(zip(got, expected)) if g != e), min(len(got), len(expected)))
    if step >= len(expected):
        msg = (f"`train_bpe` returned {len(got)} merges for {case}; after the expected {len(expected)} "
               f"({expected}) every word is a single symbol, so training must stop there.")
        C.fail(msg, NO_STOP)
    counts = counts_at(words, expected, step)
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    shown = ", ".join(f"{p}: {n}" for p, n in top)
    where = f"merge {step} is {got[step]}" if step < len(got) else f"only {len(got)} merges came back"
    msg = (f"`train_bpe` differs from the reference for {case}: {where}, expected {expected[step]}. "
           f"Before that merge the most frequent pairs are {shown}. Expected merges: {expected}; got: {got}.")
    C.fail(msg + (f"\n{why}" if why else ""), train_bug(got, words, num_merges, expected))


def run_encode(sub, word, merges, why=""):
    expected = ref_encode(word, merges)
    got = as_tokens(sub.fn("bpe_encode")(word, [tuple(m) for m in merges]), word)
    if got == expected:
        return got
    shown = merges if len(merges) <= 8 else f"{merges[:8]} ... ({len(merges)} merges)"
    msg = f"`bpe_encode({word!r}, merges)` returned {got}, expected {expected}, with merges {shown}."
    C.fail(msg + (f"\n{why}" if why else ""), encode_bug(got, word, merges, expected))


# --- training: hand-worked corpora ------------------------------------------------------------

# Sennrich et al.'s toy corpus (no end-of-word marker). Counts at step 0: (e,s) 9, (s,t) 9,
# (w,e) 8, (l,o) 7, (o,w) 7, ... -> (e,s) wins the 9-9 tie. Then (es,t) 9; (l,o) beats (o,w)
# at 7-7; (lo,w) 7; (e,w), (n,e), (w,est) tie at 6 -> (e,w); (ew,est) beats (n,ew) ('ew' < 'n');
# (n,ewest); then widest: (d,est), (i,dest), (w,idest) at 3; lower: (e,r) beats (low,e) at 2;
# (low,er). Twelve merges and nothing is left to merge.
SENNRICH = ["low"] * 5 + ["lower"] * 2 + ["newest"] * 6 + ["widest"] * 3
SENNRICH_MERGES = [("e", "s"), ("es", "t"), ("l", "o"), ("lo", "w"), ("e", "w"), ("ew", "est"),
                   ("n", "ewest"), ("d", "est"), ("i", "dest"), ("w", "idest"), ("e", "r"), ("low", "er")]


def test_train_sennrich_corpus(sub):
    """train_bpe learns the hand-worked merges of Sennrich et al.'s toy corpus"""
    got = run_train(sub, SENNRICH, 12, "Worked by hand: each step merges the most frequent pair; equal counts "
                    "go to the smaller (left, right) tuple, e.g. (e,s) before (s,t) at 9 each.")
    C.expect(got == SENNRICH_MERGES, f"`train_bpe` returned {got}, expected {SENNRICH_MERGES}.")


def test_train_order_of_words_irrelevant(sub):
    """The merges do not depend on the order of the words"""
    shuffled = [SENNRICH[i] for i in (7, 15, 0, 3, 12, 1, 9, 5, 14, 2, 8, 11, 4, 13, 6, 10)]
    run_train(sub, shuffled, 12, "Only the counts matter, and ties go to the smallest (left, right) tuple, "
              "whatever the order the words come in.")


def test_train_ties(sub):
    """Ties go to the lexicographically smallest (left, right) tuple"""
    # Every pair occurs once: (a,b) < (c,d) < (e,f), whatever order they are seen in.
    run_train(sub, ["cd", "ef", "ab"], 3, "(c,d), (e,f) and (a,b) each occur once: the smallest tuple, (a,b), "
              "comes first.")
    # (b,z) 5 beats (a,b) 4: abz -> a bz. Then (a,b), (a,bz), (b,a) tie at 2 -> (a,b) ('b' < 'bz'):
    # aba -> ab a. Then (a,bz) and (ab,a) tie at 2: as tuples ('a', 'bz') < ('ab', 'a') because
    # 'a' < 'ab', although the joined strings compare the other way ('abz' > 'aba').
    got = run_train(sub, ["abz", "abz", "aba", "aba", "bz", "bz", "bz"], 4,
                    "After (b,z) and (a,b), the pairs (a, bz) and (ab, a) tie at 2: compare them as tuples, left "
                    "first, so ('a', 'bz') < ('ab', 'a').")
    expected = [("b", "z"), ("a", "b"), ("a", "bz"), ("ab", "a")]
    C.expect(got == expected, f"`train_bpe` returned {got}, expected {expected}.")


def test_train_overlapping_pairs(sub):
    """Pairs are counted at every adjacent position, overlaps included"""
    # 'aaaa' holds (a,a) three times, so (a,a) ties (a,b) at 3 and wins ('a' = 'a', 'a' < 'b').
    # Then 'aa aa': (aa,aa) 1 < (a,b) 3 -> (a,b); then (aa,aa). Nothing is left after 3 merges.
    got = run_train(sub, ["aaaa", "ab", "ab", "ab"], 3,
                    "'aaaa' holds (a, a) at three positions; with (a, b) also at 3, the tie goes to (a, a).")
    C.expect(got == [("a", "a"), ("a", "b"), ("aa", "aa")], f"`train_bpe` returned {got}.")


def test_train_within_words(sub):
    """Pairs never span two words"""
    # (a,b) 2, (b,a) 2 -> (a,b); then (b,a) 2; then every word is one symbol: 2 merges.
    # Joining the words would add (b,b) and (a,a) and, after (a,b), prefer (ab,b).
    run_train(sub, ["ab", "ba", "ab", "ba"], 2, "The words are 'ab', 'ba', 'ab', 'ba': no pair (b, b) or (a, a) "
              "exists inside any of them.")


def test_train_repeated_words(sub):
    """A word listed several times counts that many times"""
    # (c,d) occurs 3 times (3 copies of 'cd'); (a,b) and (b,c) once each in 'abc'.
    run_train(sub, ["abc", "cd", "cd", "cd"], 1, "'cd' is listed three times, so (c, d) has count 3.")


def test_train_stops_early(sub):
    """Training stops when every word is a single symbol"""
    run_train(sub, ["ab", "ba", "ab", "ba"], 10, "After 2 merges every word is one symbol: no pair is left, so "
              "train_bpe returns those 2 merges even though 10 were asked.")
    run_train(sub, ["a", "b", "a"], 5, "One-letter words hold no pairs: the answer is [].")


# --- training: random corpora against the reference --------------------------------------------

def random_corpus(seed, n_words, alphabet, max_len):
    g = C.rng(seed)
    vocab = ["".join(g.choice(list(alphabet), size=int(g.integers(1, max_len + 1)))) for _ in range(n_words // 2)]
    return [vocab[int(i)] for i in g.integers(0, len(vocab), size=n_words)]  # with repeats


@pytest.mark.parametrize("seed,n_words,alphabet,max_len,num_merges", [
    (0, 20, "abcd", 6, 10),
    (1, 30, "abc", 7, 15),
    (2, 16, "abcdef", 5, 12),
    (3, 40, "ab", 8, 20),
    (4, 24, "xyzw", 6, 40),
])
def test_train_matches_reference(sub, seed, n_words, alphabet, max_len, num_merges):
    """train_bpe matches the reference on random corpora (many ties)"""
    run_train(sub, random_corpus(seed, n_words, alphabet, max_len), num_merges)


# --- encoding -------------------------------------------------------------------------------

def test_encode_sennrich(sub):
    """bpe_encode replays the learned merges on seen and unseen words"""
    for word in ["lowest", "newer", "wider", "lowlow", "newest", "l"]:
        got = run_encode(sub, word, SENNRICH_MERGES)
        C.expect("".join(got) == word, f"`bpe_encode({word!r})` returned {got}, which does not spell the word.")


def test_encode_rank_order(sub):
    """bpe_encode applies the merges by rank, not by greedy longest match"""
    # (c,d) has rank 1 and is applied before (b,c) can claim the 'c': 'abcd' -> ab c d -> ab cd.
    # The vocabulary holds 'abc', so a longest match would take 'abc' and leave 'd'.
    run_encode(sub, "abcd", [("a", "b"), ("c", "d"), ("b", "c"), ("a", "bc")],
               "Rank order: (a,b) -> ab c d; (c,d) -> ab cd; (b,c) and (a,bc) no longer apply. A longest match "
               "would take 'abc' first.")


def test_encode_lowest_rank_first(sub):
    """bpe_encode merges the lowest-rank pair first, not the leftmost"""
    # (b,c) has rank 0: a bc -> (a,bc) -> abc. Merging the leftmost learned pair (a,b) first gives
    # ab c, and (ab,c) was never learned.
    run_encode(sub, "abc", [("b", "c"), ("a", "b"), ("a", "bc")],
               "(b, c) was learned first, so it is applied first: a bc, then (a, bc) -> abc.")


def test_encode_every_occurrence(sub):
    """A merge replaces every occurrence in the word, left to right"""
    run_encode(sub, "aaaa", [("a", "a")], "(a, a) applies at positions 0-1 and 2-3: ['aa', 'aa'].")
    run_encode(sub, "aaaaa", [("a", "a"), ("aa", "a")],
               "Left to right: aa aa a; then (aa, a) merges the last two: ['aa', 'aaa'].")


def test_encode_no_merges(sub):
    """With no merges, or none that applies, the word stays split into characters"""
    run_encode(sub, "hello", [])
    run_encode(sub, "xyz", SENNRICH_MERGES)
    run_encode(sub, "", SENNRICH_MERGES)


@pytest.mark.parametrize("seed", [10, 11, 12])
def test_encode_matches_reference(sub, seed):
    """bpe_encode matches the reference with merges trained on random corpora"""
    words = random_corpus(seed, 30, "abcd", 7)
    merges = ref_train(words, 12)
    g = C.rng(100 + seed)
    for word in list(dict.fromkeys(words))[:6] + ["".join(g.choice(list("abcd"), size=9)) for _ in range(4)]:
        run_encode(sub, word, merges)
