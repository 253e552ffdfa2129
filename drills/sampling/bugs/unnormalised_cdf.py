# expect-bug: sampling from unnormalised probs
import numpy as np


def sample_token(logits, rng, temperature=1.0, top_k=None, top_p=None):
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(logits))
    z = logits / temperature
    probs = np.exp(z - z.max())
    probs /= probs.sum()
    order = np.argsort(-probs)
    keep = np.zeros(len(probs), dtype=bool)
    keep[order[:top_k] if top_k is not None else order] = True
    if top_p is not None:
        renorm = np.where(keep, probs, 0.0) / probs[keep].sum()
        before = np.cumsum(renorm[order]) - renorm[order]
        keep[order[before >= top_p]] = False
    probs = np.where(keep, probs, 0.0)
    # inverse-CDF sampling
    u = rng.random()
    idx = int(np.searchsorted(np.cumsum(probs), u))
    return min(idx, len(probs) - 1)
