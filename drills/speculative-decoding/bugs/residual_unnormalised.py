# expect-bug: residual not renormalised (sample from max(0, p - q) divided by its sum)
import numpy as np


def _sample(probs, rng):
    # inverse CDF, clipped so that it always returns a valid id
    return int(min(np.searchsorted(np.cumsum(probs), rng.random(), side="right"), len(probs) - 1))


def speculative_accept(draft_tokens, draft_probs, target_probs, rng):
    q, p = np.asarray(draft_probs), np.asarray(target_probs)
    out = []
    for i, x in enumerate(draft_tokens):
        if rng.random() < p[i, x] / q[i, x]:
            out.append(int(x))
            continue
        out.append(_sample(np.maximum(p[i] - q[i], 0.0), rng))
        return out
    out.append(_sample(p[-1], rng))
    return out
