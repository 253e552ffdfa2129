"""Hidden suite for the `beam-search` drill. Never copied into the learner's workspace.

The learner's search is driven by toy language models written here: plain functions of the
prefix (tables worked by hand, or log-softmax of logits drawn from a generator seeded by the
prefix). They are ordinary suite code: while the learner's function runs, tfprep disables the
reference implementation, so a model must never call it.

Token ids in the hand models: BOS = 0, EOS = 1, A = 2, B = 3, C = 4 (V = 5); probabilities
are listed in that order. Every model is built so that no two hypotheses tie.
"""
import math
import operator

import numpy as np
import pytest

from tfprep.content.reference_impls.beam_search import beam_search as reference
from tfprep.grading import checks as C

FN = "beam_search"
BOS, EOS, A, B, CC = 0, 1, 2, 3, 4


# --- toy models -------------------------------------------------------------------------------

class Model:
    """step_log_probs(prefix) -> log-probs (V,), a fresh array every call (the learner may edit it)."""

    def __init__(self, log_p_of, max_len, name):
        self.log_p_of, self.max_len, self.name = log_p_of, max_len, name
        self.cache = {}

    def __call__(self, prefix):
        try:
            key = tuple(int(t) for t in prefix)
        except TypeError:
            raise TypeError(f"step_log_probs expects the prefix as a list of token ids, got {prefix!r}") from None
        if len(key) > self.max_len + 3:  # far past max_len: stop a search that never ends
            raise RuntimeError(f"step_log_probs was asked for the token after a prefix of {len(key)} tokens, "
                               f"but max_len={self.max_len} counts every token, bos included: the search "
                               "must stop at max_len")
        if key not in self.cache:
            self.cache[key] = np.asarray(self.log_p_of(key), dtype=np.float64)
        return self.cache[key].copy()


def table_model(table, default, max_len, name):
    """Probabilities for each listed prefix (tuple, bos first), `default` for any other prefix."""
    def log_p_of(prefix):
        return np.log(np.asarray(table.get(prefix, default(prefix) if callable(default) else default)))
    return Model(log_p_of, max_len, name)


def random_model(seed, vocab, eos, max_len, scale=2.0, eos_drift=0.6):
    """log-softmax of logits drawn from a generator seeded by (seed, prefix); the eos logit grows
    with the prefix length so that hypotheses finish at different lengths."""
    def log_p_of(prefix):
        g = np.random.default_rng([seed, len(prefix), *prefix])
        z = g.standard_normal(vocab) * scale
        z[eos] += eos_drift * (len(prefix) - 2)
        z = z - z.max()
        return z - np.log(np.exp(z).sum())
    return Model(log_p_of, max_len, f"random model (seed {seed}, V={vocab})")


# --- known bugs: the same search with one classic mistake ------------------------------------

def search(model, bos, eos, k, max_len, *, accumulate=True, keep_finished=True, eos_ordinary=False,
           length_offset=0, unfinished=True, norm=None, independent=False, stop_at_k_finished=False,
           per_beam=False):
    """A beam search with switches for the classic mistakes (defaults: the correct search)."""
    max_len += length_offset
    live, finished = [([bos], 0.0)], []
    while live and len(live[0][0]) < max_len:
        if stop_at_k_finished and len(finished) >= k:
            break
        cands = []
        for tokens, score in live:
            log_p = model(tokens)
            options = range(len(log_p))
            if independent and len(tokens) > 1:  # each beam keeps only its own best continuation
                options = [int(np.argmax(log_p))]
            if per_beam:  # each beam's own top k, kept in beam order: never ranked against each other
                options = [int(t) for t in np.argsort(-log_p, kind="stable")[:k]]
            for t in options:
                cands.append(((score if accumulate else 0.0) + float(log_p[t]), tokens + [t]))
        if per_beam:
            live = [c[::-1] for c in cands if c[1][-1] != eos][:k]
            finished += [c[::-1] for c in cands if c[1][-1] == eos]
            continue
        cands.sort(key=lambda c: -c[0])
        live = []
        for rank, (score, tokens) in enumerate(cands):
            if tokens[-1] == eos and not eos_ordinary:
                if rank < k and keep_finished:
                    finished.append((tokens, score))
            elif len(live) < k:
                live.append((tokens, score))
    pool = finished if (finished and not unfinished) else finished + live
    if norm is not None:
        return max(pool, key=lambda h: h[1] / max(len(h[0]) - norm, 1))[0]
    return max(pool, key=lambda h: h[1])[0]


def _truncated_at_eos(tokens, eos):
    return tokens[: tokens.index(eos, 1) + 1] if eos in tokens[1:] else tokens


GREEDY = "greedy instead of beam (only the single best hypothesis kept at each step)"
DROPPED = "finished beams dropped (a hypothesis that emits eos must be kept as a candidate answer)"
NOT_ACCUMULATED = "scores not accumulated (a hypothesis scores the sum of all its log-probs)"
EOS_ORDINARY = "eos treated as an ordinary token (a finished hypothesis must not be extended)"
MAX_LEN = "max_len off by one (it counts every token of the sequence, bos included)"
UNFINISHED = "unfinished hypotheses ignored at max_len (they compete with the finished ones)"
LENGTH_PENALTY = "length penalty applied (the score is the plain sum of log-probs)"
EARLY_STOP = ("search stopped once beam_width hypotheses finished (a live hypothesis can still beat them: "
              "stop only at max_len, or once the best finished score is at least the best live one)")
INDEPENDENT = ("beams extended independently (the best beam_width candidates are chosen over all "
               "beams' extensions together)")
PER_BEAM = ("candidates not ranked across beams (each beam's top beam_width continuations, then the first "
            "beam_width in beam order; rank every beam's extensions together by total score)")

BUGS = {
    GREEDY: lambda m, b, e, k, n: [search(m, b, e, 1, n)],
    DROPPED: lambda m, b, e, k, n: [search(m, b, e, k, n, keep_finished=False)],
    NOT_ACCUMULATED: lambda m, b, e, k, n: [search(m, b, e, k, n, accumulate=False)],
    EOS_ORDINARY: lambda m, b, e, k, n: [s := search(m, b, e, k, n, eos_ordinary=True), _truncated_at_eos(s, e)],
    MAX_LEN: lambda m, b, e, k, n: [search(m, b, e, k, n, length_offset=1), search(m, b, e, k, n, length_offset=-1)],
    UNFINISHED: lambda m, b, e, k, n: [search(m, b, e, k, n, unfinished=False)],
    LENGTH_PENALTY: lambda m, b, e, k, n: [search(m, b, e, k, n, norm=0), search(m, b, e, k, n, norm=1)],
    INDEPENDENT: lambda m, b, e, k, n: [search(m, b, e, k, n, independent=True)],
    EARLY_STOP: lambda m, b, e, k, n: [search(m, b, e, k, n, stop_at_k_finished=True)],
    PER_BEAM: lambda m, b, e, k, n: [search(m, b, e, k, n, per_beam=True)],
}


def matching_bug(got, model, bos, eos, k, max_len, expected):
    """The one classic bug whose search returns exactly `got` here (None if none or several do)."""
    found = []
    for label, variants in BUGS.items():
        outs = variants(model, bos, eos, k, max_len)
        if any(out == got and out != expected for out in outs):
            found.append(label)
    return found[0] if len(found) == 1 else None


# --- calling and comparing -------------------------------------------------------------------

def score_of(model, tokens):
    """Sum of log-probs of tokens[1:] under `model`."""
    return sum(float(model(tokens[:i])[tokens[i]]) for i in range(1, len(tokens)))


def call(sub, model, bos, eos, k, max_len):
    result = sub.fn(FN)(model, bos, eos, k, max_len)
    if isinstance(result, np.ndarray) and result.ndim == 1:
        result = result.tolist()
    if not isinstance(result, (list, tuple)):
        C.fail(f"`{FN}` returned a {type(result).__name__}; expected a list of token ids.")
    try:
        return [operator.index(t) for t in result]
    except TypeError:
        C.fail(f"`{FN}` returned {list(result)!r}: expected a list of int token ids (bos first).")


def run_case(sub, model, bos, eos, k, max_len, expected=None, why=""):
    want = reference(model, bos, eos, k, max_len) if expected is None else expected
    got = call(sub, model, bos, eos, k, max_len)
    if got == want:
        return got
    case = f"{model.name}, bos={bos}, eos={eos}, beam_width={k}, max_len={max_len}"
    detail = (f"`{FN}` returned {got} (score {score_of(model, got):.4f}), expected {want} "
              f"(score {score_of(model, want):.4f}) for {case}.") if got and got[0] == bos else \
        f"`{FN}` returned {got}, expected {want} for {case}: the sequence starts with bos."
    if len(got) > max_len:
        detail += f" The result has {len(got)} tokens, more than max_len={max_len}."
    C.fail(detail + (f"\n{why}" if why else ""), matching_bug(got, model, bos, eos, k, max_len, want))


# --- hand-made models, worked by hand ----------------------------------------------------------

# Greedy is not beam. Step 1: A .5, B .4 (beam {A, B}; eos .05 ranks 3rd: not finished).
# Step 2: B->eos .4*.9 = .36, A->eos .5*.4 = .20 (both finished), A->A .11, A->C .095 live.
# Best: [bos, B, eos] (.36); greedy follows A and gets [bos, A, eos] (.20).
GREEDY_MODEL = {
    (BOS,): [.01, .05, .50, .40, .04],
    (BOS, A): [.01, .40, .22, .18, .19],
    (BOS, B): [.01, .90, .04, .03, .02],
}

# A finished beam must be kept. Step 1: eos .45 ranks first: [bos, eos] is finished (.45);
# live A .3, B .2. Every later hypothesis is below .3 * .3 = .09, so [bos, eos] wins.
FINISHED_MODEL = {
    (BOS,): [.01, .45, .30, .20, .04],
    (BOS, A): [.01, .19, .30, .26, .24],
    (BOS, B): [.01, .20, .29, .27, .23],
}
FINISHED_DEFAULT = [.01, .30, .25, .24, .20]

# Scores accumulate. Step 2 candidates: A->eos .55*.5 = .275, B->eos .43*.6 = .258 (both
# finished), A->A .1375, A->B .132 (live). Best [bos, A, eos]; ranking by the last step's
# log-prob alone prefers B->eos (.6 > .5).
ACCUMULATE_MODEL = {
    (BOS,): [.005, .005, .55, .43, .01],
    (BOS, A): [.005, .50, .25, .24, .005],
    (BOS, B): [.005, .60, .20, .19, .005],
}
ACCUMULATE_DEFAULT = [.2, .2, .2, .2, .2]


def length_default(prefix):
    """A is likely (.9) until the prefix holds 4 tokens; then eos is (.95)."""
    if len(prefix) < 4:
        return [.01, .04, .90, .03, .02]
    if len(prefix) == 4:
        return [.005, .95, .03, .01, .005]
    return [.05, .50, .30, .10, .05]


@pytest.mark.parametrize("bos,eos", [(0, 1), (4, 2)])
def test_beam_beats_greedy(sub, bos, eos):
    """Keeps beam_width hypotheses: finds a sequence greedy decoding misses"""
    model = remap(GREEDY_MODEL, [.2] * 5, bos, eos, 3, "hand model where greedy fails")
    want = [bos, remap_id(B, bos, eos), eos]
    run_case(sub, model, bos, eos, 2, 3, want,
             "Greedy takes A (.5) and ends [bos, A, eos] = .5 * .4 = .20; the beam keeps B (.4) too, and "
             "[bos, B, eos] = .4 * .9 = .36 is better.")


def test_finished_beam_kept(sub):
    """A hypothesis that emits eos is finished and kept, even after its beam slot is refilled"""
    model = table_model(FINISHED_MODEL, FINISHED_DEFAULT, 4, "hand model with an early eos")
    run_case(sub, model, BOS, EOS, 2, 4, [BOS, EOS],
             "[bos, eos] has probability .45 at step 1; every longer hypothesis stays below .3 * .3 = .09.")


def test_scores_accumulated(sub):
    """Hypotheses are ranked by the sum of their log-probs, not the last step's"""
    model = table_model(ACCUMULATE_MODEL, ACCUMULATE_DEFAULT, 3, "hand model where the last step misleads")
    run_case(sub, model, BOS, EOS, 2, 3, [BOS, A, EOS],
             "[bos, A, eos] = .55 * .5 = .275 beats [bos, B, eos] = .43 * .6 = .258, although .6 > .5 at the "
             "last step.")


def test_max_len_counts_bos(sub):
    """max_len counts every token, bos included; unfinished hypotheses compete at max_len"""
    model = table_model({}, length_default, 4, "hand model where eos follows 3 A's")
    run_case(sub, model, BOS, EOS, 2, 4, [BOS, A, A, A],
             "With max_len=4 the best is the unfinished [bos, A, A, A] (.9^3 = .729): [bos, A, A, A, eos] "
             "would be 5 tokens, and every finished hypothesis of at most 4 tokens is below .04.")


def test_finished_wins_at_max_len(sub):
    """With one more token allowed, the finished hypothesis wins"""
    model = table_model({}, length_default, 5, "hand model where eos follows 3 A's")
    run_case(sub, model, BOS, EOS, 2, 5, [BOS, A, A, A, EOS],
             "With max_len=5, [bos, A, A, A, eos] = .9^3 * .95 = .693 beats the unfinished [bos, A, A, A, A] "
             "(.9^3 * .03).")


def remap_id(t, bos, eos):
    """Token id t of the hand models under a vocabulary where bos and eos sit elsewhere."""
    perm = _perm(bos, eos)
    return perm[t]


def _perm(bos, eos):
    rest = [i for i in range(5) if i not in (bos, eos)]
    return {BOS: bos, EOS: eos, A: rest[0], B: rest[1], CC: rest[2]}


def remap(table, default, bos, eos, max_len, name):
    """A hand model with its token ids moved so that bos and eos are not 0 and 1."""
    perm = _perm(bos, eos)

    def move(probs):
        out = [0.0] * 5
        for old, p in enumerate(probs):
            out[perm[old]] = p
        return out
    moved = {tuple(perm[t] for t in key): move(p) for key, p in table.items()}
    return table_model(moved, move(default), max_len, name)


# --- random models against the reference --------------------------------------------------------

# (seed, V, bos, eos, beam_width, max_len); seeds chosen so that greedy, dropping finished beams
# and unaccumulated scores each give another answer than the reference here.
RANDOM_CASES = [
    (128, 6, 0, 1, 2, 6),
    (138, 7, 0, 5, 3, 7),
    (136, 8, 3, 0, 4, 6),
    (117, 5, 0, 1, 3, 8),
    (111, 9, 2, 7, 2, 5),
    (110, 6, 5, 4, 5, 6),
    (107, 6, 0, 1, 3, 6),  # ranking each beam's candidates apart from the others' gives another answer
]


@pytest.mark.parametrize("seed,vocab,bos,eos,k,max_len", RANDOM_CASES)
def test_matches_reference(sub, seed, vocab, bos, eos, k, max_len):
    """Matches the reference on random toy models (several vocabularies, beam widths, lengths)"""
    run_case(sub, random_model(seed, vocab, eos, max_len), bos, eos, k, max_len)


def test_width_one_is_greedy(sub):
    """beam_width=1 is greedy decoding"""
    model = random_model(121, 6, 1, 7)  # greedy != beam_width 2 here
    tokens = [0]
    while len(tokens) < 7 and tokens[-1] != 1:
        tokens.append(int(np.argmax(model(tokens))))
    run_case(sub, model, 0, 1, 1, 7, tokens, "With one beam the search takes the most likely token at each step.")


def test_wide_beam_is_exact(sub):
    """A beam wide enough to hold every hypothesis returns the exact best sequence"""
    vocab, eos, max_len = 3, 1, 5
    model = random_model(108, vocab, eos, max_len, scale=1.0, eos_drift=0.3)
    best, best_score = None, -math.inf
    frontier = [([0], 0.0)]
    while frontier:  # every sequence: finished ones of any length, unfinished ones of max_len
        tokens, score = frontier.pop()
        if tokens[-1] == eos and len(tokens) > 1 or len(tokens) == max_len:
            if score > best_score:
                best, best_score = tokens, score
            continue
        log_p = model(tokens)
        frontier.extend((tokens + [t], score + float(log_p[t])) for t in range(vocab))
    run_case(sub, model, 0, eos, 64, max_len, best,
             "With beam_width=64 nothing is ever pruned, so the result is the best of all sequences.")


def test_output_form(sub):
    """Returns a list of ints: bos first, eos only at the end, at most max_len tokens"""
    for seed, vocab, bos, eos, k, max_len in RANDOM_CASES[:3]:
        model = random_model(seed, vocab, eos, max_len)
        got = call(sub, model, bos, eos, k, max_len)
        case = f"beam_width={k}, max_len={max_len}, bos={bos}, eos={eos}"
        C.expect(got and got[0] == bos, f"`{FN}` returned {got}: the sequence must start with bos={bos} ({case}).")
        C.expect(len(got) <= max_len, f"`{FN}` returned {len(got)} tokens ({got}), more than max_len={max_len} "
                 f"({case}).", MAX_LEN if len(got) == max_len + 1 else None)
        C.expect(eos not in got[1:-1], f"`{FN}` returned {got}: eos={eos} appears before the end, so a finished "
                 f"hypothesis was extended ({case}).", EOS_ORDINARY)
        C.expect(all(0 <= t < vocab for t in got), f"`{FN}` returned {got}: token ids outside 0..{vocab - 1}.")


def test_max_len_one(sub):
    """max_len=1 leaves room for bos alone"""
    model = random_model(109, 5, 1, 1)
    run_case(sub, model, 0, 1, 3, 1, [0], "max_len counts every token, bos included: nothing can be added.")
