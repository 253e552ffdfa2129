# A correct solution in the vectorised style of Hugging Face's `_speculative_sampling`: all
# acceptance draws at once, the first rejection found with cumprod, the last token drawn with
# the Gumbel-max trick from either the residual or the bonus row.
import numpy as np


def speculative_accept(draft_tokens, draft_probs, target_probs, rng):
    x = np.asarray(draft_tokens, dtype=np.int64)
    k = x.shape[0]
    q = np.asarray(draft_probs, dtype=np.float64)
    p = np.asarray(target_probs, dtype=np.float64)
    idx = np.arange(k)
    r = rng.random(k)
    is_accepted = r <= p[idx, x] / q[idx, x]
    n_matches = int(np.cumprod(is_accepted).sum()) if k else 0
    if n_matches < k:
        dist = np.clip(p[n_matches] - q[n_matches], 0.0, None)
        dist = dist / dist.sum()
    else:
        dist = p[k]
    with np.errstate(divide="ignore"):
        last = int(np.argmax(np.log(dist) + rng.gumbel(size=dist.shape)))
    return [int(t) for t in x[:n_matches]] + [last]
