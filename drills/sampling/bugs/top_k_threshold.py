# expect-bug: top-k off by one (k - 1 tokens kept)
import numpy as np


def _softmax(x):
    e = np.exp(x - np.max(x))
    return e / e.sum()


def sample_token(logits, rng, temperature=1.0, top_k=None, top_p=None):
    logits = np.array(logits, dtype=np.float64)
    if temperature == 0:
        return int(logits.argmax())
    logits = logits / temperature
    if top_k is not None and top_k < len(logits):
        kth = np.sort(logits)[-top_k]
        logits[logits <= kth] = -np.inf  # meant "below the k-th", but drops the k-th too
    probs = _softmax(logits)
    if top_p is not None:
        idx = np.argsort(-probs)
        cum = np.cumsum(probs[idx])
        cutoff = int(np.searchsorted(cum, top_p)) + 1
        mask = np.zeros_like(probs, dtype=bool)
        mask[idx[:cutoff]] = True
        probs = np.where(mask, probs, 0.0)
        probs /= probs.sum()
    return int(rng.choice(len(probs), p=probs))
