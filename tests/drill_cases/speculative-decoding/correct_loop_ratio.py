# A correct solution written as in the papers' pseudocode: the ratio p/q, min(1, .), uniform draws.
import numpy as np


def speculative_accept(draft_tokens, draft_probs, target_probs, rng):
    q = np.asarray(draft_probs, dtype=np.float64)
    p = np.asarray(target_probs, dtype=np.float64)
    tokens = []
    for i, x in enumerate(draft_tokens):
        x = int(x)
        if rng.uniform() < min(1.0, p[i, x] / q[i, x]):
            tokens.append(x)
        else:
            residual = np.clip(p[i] - q[i], 0.0, None)
            tokens.append(int(rng.choice(len(residual), p=residual / residual.sum())))
            return tokens
    tokens.append(int(rng.choice(p.shape[1], p=p[len(tokens)])))
    return tokens
