"""Beam search decoding (as in Sutskever, Vinyals and Le, 2014, "Sequence to Sequence Learning
with Neural Networks", sec. 3.1; finished hypotheses handled as Hugging Face's
`BeamSearchScorer` and fairseq's `SequenceGenerator` do).

A hypothesis y_1..y_t (y_1 = bos) scores the sum of its log-probabilities, no length penalty:

    score(y) = sum_{t >= 2} log p(y_t | y_1 .. y_{t-1})

Each step scores every one-token extension of every live hypothesis. Among these candidates,
the ones that end in eos and rank among the best `beam_width` are finished and kept for good;
the `beam_width` best candidates that do not end in eos are the new live hypotheses (a
finished hypothesis no longer takes a beam slot). The search stops when the hypotheses hold
`max_len` tokens (bos included) and returns the best of the finished and the live ones.

Dimension legend: see reference_impls/README.md (V vocabulary size).
"""
from __future__ import annotations

import numpy as np


def beam_search(step_log_probs, bos: int, eos: int, beam_width: int, max_len: int) -> list[int]:
    """The best sequence found, bos first (and eos last if it finished)."""
    live = [([bos], 0.0)]  # (tokens, score): every live hypothesis has the same length
    finished = []
    while len(live[0][0]) < max_len:
        candidates = []  # (score, tokens) of every one-token extension
        for tokens, score in live:
            log_p = np.asarray(step_log_probs(list(tokens)), dtype=np.float64)  # (V,)
            for token in range(log_p.shape[0]):
                candidates.append((score + float(log_p[token]), tokens + [token]))
        candidates.sort(key=lambda c: -c[0])  # stable: equal scores keep beam, then token order
        live = []
        for rank, (score, tokens) in enumerate(candidates):
            if tokens[-1] == eos:
                if rank < beam_width:  # an eos candidate must be good enough to be in the beam
                    finished.append((tokens, score))
            elif len(live) < beam_width:
                live.append((tokens, score))
        if not live:  # only eos had any probability: nothing left to extend
            break
    best_tokens, _ = max(finished + live, key=lambda h: h[1])  # first of equal scores
    return [int(t) for t in best_tokens]
