"""Drill: sampling the next token with temperature, top-k and top-p (NumPy).

Implement `sample_token`. Run `tfprep drill sampling` to grade this file.
"""
import numpy as np


def sample_token(logits, rng, temperature=1.0, top_k=None, top_p=None):
    """Draw one token id from the filtered, renormalised softmax of `logits`.

    Args:
        logits: (V,) unnormalised scores over the vocabulary.
        rng: a `numpy.random.Generator`; take all randomness from it.
        temperature: divide the logits by it; 0 means greedy (return the argmax).
        top_k: if not None, keep only the k most probable tokens.
        top_p: if not None, keep the smallest set of most probable tokens whose probability
            mass is >= top_p (the token that crosses top_p is kept).

    Returns:
        int token id in [0, V).
    """
    raise NotImplementedError
