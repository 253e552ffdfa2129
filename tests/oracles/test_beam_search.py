"""The beam-search reference against hand-worked toy models and an exhaustive search.

Token ids: BOS = 0, EOS = 1, A = 2, B = 3, C = 4; probabilities listed in that order.
"""
import itertools
import math

import numpy as np
import pytest

from tfprep.content.reference_impls.beam_search import beam_search

BOS, EOS, A, B, C = 0, 1, 2, 3, 4


def table(probs_of_prefix, default):
    def step(prefix):
        return np.log(np.asarray(probs_of_prefix.get(tuple(prefix), default), dtype=np.float64))
    return step


def test_beam_finds_what_greedy_misses():
    # [bos]: A .5, B .4; [bos, A]: eos .4; [bos, B]: eos .9.
    # width 2, step 2: B->eos = .36 and A->eos = .20 are the two best candidates (both finish).
    step = table({(BOS,): [.01, .05, .5, .4, .04], (BOS, A): [.01, .4, .22, .18, .19],
                  (BOS, B): [.01, .9, .04, .03, .02]}, [.2] * 5)
    assert beam_search(step, BOS, EOS, 2, 3) == [BOS, B, EOS]
    assert beam_search(step, BOS, EOS, 1, 3) == [BOS, A, EOS]  # greedy


def test_early_finished_hypothesis_wins():
    # [bos, eos] = .45 finishes at step 1 (rank 0); A (.3) and B (.2) fill the beam; nothing
    # longer reaches .09.
    step = table({(BOS,): [.01, .45, .3, .2, .04], (BOS, A): [.01, .19, .3, .26, .24],
                  (BOS, B): [.01, .2, .29, .27, .23]}, [.01, .3, .25, .24, .2])
    assert beam_search(step, BOS, EOS, 2, 4) == [BOS, EOS]


def test_scores_accumulate():
    # A->eos = .55 * .5 = .275 > B->eos = .43 * .6 = .258.
    step = table({(BOS,): [.005, .005, .55, .43, .01], (BOS, A): [.005, .5, .25, .24, .005],
                  (BOS, B): [.005, .6, .2, .19, .005]}, [.2] * 5)
    assert beam_search(step, BOS, EOS, 2, 3) == [BOS, A, EOS]


def test_max_len_counts_bos():
    # A .9 until the prefix holds 4 tokens, then eos .95.
    def step(prefix):
        if len(prefix) < 4:
            p = [.01, .04, .9, .03, .02]
        elif len(prefix) == 4:
            p = [.005, .95, .03, .01, .005]
        else:
            p = [.05, .5, .3, .1, .05]
        return np.log(p)
    assert beam_search(step, BOS, EOS, 2, 4) == [BOS, A, A, A]  # .729, unfinished
    assert beam_search(step, BOS, EOS, 2, 5) == [BOS, A, A, A, EOS]  # .9^3 * .95 = .693
    assert beam_search(step, BOS, EOS, 2, 3) == [BOS, A, A]  # .81
    assert beam_search(step, BOS, EOS, 2, 1) == [BOS]


@pytest.mark.parametrize("seed", range(5))
def test_wide_beam_equals_exhaustive_search(seed):
    vocab, max_len = 3, 5
    rng = np.random.default_rng(seed)
    tables = {}

    def step(prefix):
        key = tuple(prefix)
        if key not in tables:
            z = rng.standard_normal(vocab)
            tables[key] = z - np.log(np.exp(z).sum())
        return tables[key]

    best, best_score = None, -math.inf
    for n in range(1, max_len):  # sequences of 1 + n tokens
        for tail in itertools.product(range(vocab), repeat=n):
            seq = [BOS, *tail]
            if EOS in seq[1:-1] or (len(seq) < max_len and seq[-1] != EOS):
                continue  # eos only at the end; unfinished only at max_len
            s = sum(step(seq[:i])[seq[i]] for i in range(1, len(seq)))
            if s > best_score:
                best, best_score = seq, s
    assert beam_search(step, BOS, EOS, 3 ** max_len, max_len) == best
