# expect-bug: resampled from target_probs instead of the residual max(0, p - q)
import numpy as np


def speculative_accept(draft_tokens, draft_probs, target_probs, rng):
    q, p = np.asarray(draft_probs), np.asarray(target_probs)
    out = []
    for i, x in enumerate(draft_tokens):
        if rng.random() < min(1.0, p[i, x] / q[i, x]):
            out.append(int(x))
        else:
            out.append(int(rng.choice(p.shape[1], p=p[i])))
            return out
    out.append(int(rng.choice(p.shape[1], p=p[len(draft_tokens)])))
    return out
