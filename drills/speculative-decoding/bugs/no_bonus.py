# expect-bug: no bonus token (when all k drafts are accepted, sample one more from target_probs[k])
import numpy as np


def speculative_accept(draft_tokens, draft_probs, target_probs, rng):
    q, p = np.asarray(draft_probs), np.asarray(target_probs)
    out = []
    for i, x in enumerate(draft_tokens):
        if rng.random() < p[i, x] / q[i, x]:
            out.append(int(x))
            continue
        r = np.maximum(p[i] - q[i], 0.0)
        out.append(int(rng.choice(len(r), p=r / r.sum())))
        break
    return out
