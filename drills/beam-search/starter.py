"""Drill: beam search decoding (NumPy).

Implement `beam_search`. Run `tfprep drill beam-search` to grade this file.
"""
import numpy as np


def beam_search(step_log_probs, bos, eos, beam_width, max_len):
    """The most likely sequence found by beam search.

    Args:
        step_log_probs: callable; step_log_probs(prefix) with prefix a list of token ids
            (bos first) returns log-probabilities over the vocabulary, shape (V,).
        bos: the token id every sequence starts with.
        eos: the token id that finishes a hypothesis; a finished hypothesis is never extended.
        beam_width: how many live hypotheses are kept at each step; finished ones do not
            take a slot (only eos candidates ranked among the best beam_width finish).
        max_len: the most tokens a returned sequence may hold, bos included.

    Returns:
        list[int]: the best-scoring sequence (sum of log-probs, no length penalty) among the
        finished hypotheses and the live ones at max_len; bos first, eos last if it finished.
    """
    raise NotImplementedError
