# expect-bug: temperature applied after top-p (the nucleus must be chosen from the tempered probabilities)
import numpy as np


def sample_token(logits, rng, temperature=1.0, top_k=None, top_p=None):
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(logits))
    # choose the candidate set first...
    p = np.exp(logits - logits.max())
    p /= p.sum()
    order = np.argsort(-p)
    keep = np.ones(len(p), dtype=bool)
    if top_k is not None:
        keep[order[top_k:]] = False
    if top_p is not None:
        q = np.where(keep, p, 0.0)
        q /= q.sum()
        cum = np.cumsum(q[order])
        keep[order[(cum - q[order]) >= top_p]] = False
    # ...then sharpen/flatten among the candidates
    z = np.where(keep, logits / temperature, -np.inf)
    w = np.exp(z - z.max())
    return int(rng.choice(len(w), p=w / w.sum()))
