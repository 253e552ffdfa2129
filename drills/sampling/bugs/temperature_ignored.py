# expect-bug: temperature ignored: the probabilities must be softmax(logits / temperature)
import numpy as np


def sample_token(logits, rng, temperature=1.0, top_k=None, top_p=None):
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(logits))
    scaled = logits / temperature  # computed, then the unscaled logits are used below
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    order = np.argsort(-probs, kind="stable")
    if top_k is not None:
        probs[order[top_k:]] = 0.0
        probs /= probs.sum()
    if top_p is not None:
        before = np.cumsum(probs[order]) - probs[order]
        probs[order[before >= top_p]] = 0.0
        probs /= probs.sum()
    return int(rng.choice(len(probs), p=probs))
