# expect-bug: crossing token dropped (top-p must keep the token that takes the mass past p)
import numpy as np


def sample_token(logits, rng, temperature=1.0, top_k=None, top_p=None):
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(logits))
    z = logits / temperature
    probs = np.exp(z - z.max())
    probs /= probs.sum()
    order = np.argsort(probs)[::-1]
    if top_k is not None:
        probs[order[top_k:]] = 0.0
        probs /= probs.sum()
    if top_p is not None:
        cum = np.cumsum(probs[order])
        keep = cum <= top_p
        keep[0] = True  # never drop everything
        probs[order[~keep]] = 0.0
        probs /= probs.sum()
    return int(rng.choice(len(probs), p=probs))
