"""Drill: speculative decoding, the accept / reject step of speculative sampling (NumPy).

Implement `speculative_accept`. Run `tfprep drill speculative-decoding` to grade this file.
"""
import numpy as np


def speculative_accept(draft_tokens, draft_probs, target_probs, rng):
    """Verify k draft tokens against the target model.

    Args:
        draft_tokens: k token ids, token i sampled from draft_probs[i].
        draft_probs: q, shape (k, V): the draft model's distributions.
        target_probs: p, shape (k + 1, V): the target's distributions at the same positions,
            plus one row (k) for the position after the last draft.
        rng: a numpy.random.Generator; every random number comes from it.

    Returns:
        list[int]: the accepted drafts (token i kept with probability min(1, p_i(x)/q_i(x))),
        then one token: from norm(max(0, p_i - q_i)) at the first rejection, or the bonus from
        target_probs[k] if all k were accepted.
    """
    raise NotImplementedError
