# expect-bug: did not stop at the first rejection (the token resampled there is the last one emitted)
import numpy as np


def speculative_accept(draft_tokens, draft_probs, target_probs, rng):
    q, p = np.asarray(draft_probs), np.asarray(target_probs)
    out = []
    for i, x in enumerate(draft_tokens):
        if rng.random() < p[i, x] / q[i, x]:
            out.append(int(x))
        else:
            r = np.maximum(p[i] - q[i], 0.0)
            out.append(int(rng.choice(len(r), p=r / r.sum())))  # ... and the loop goes on
    out.append(int(rng.choice(p.shape[1], p=p[-1])))
    return out
