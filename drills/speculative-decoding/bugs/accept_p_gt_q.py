# expect-bug: accepting by p > q (accept a draft token with probability min(1, p/q))
import numpy as np


def speculative_accept(draft_tokens, draft_probs, target_probs, rng):
    q, p = np.asarray(draft_probs), np.asarray(target_probs)
    out = []
    for i, x in enumerate(draft_tokens):
        if p[i, x] > q[i, x]:  # a deterministic rule where a coin flip belongs
            out.append(int(x))
            continue
        r = np.maximum(p[i] - q[i], 0.0)
        out.append(int(rng.choice(len(r), p=r / r.sum())))
        return out
    out.append(int(rng.choice(p.shape[1], p=p[-1])))
    return out
