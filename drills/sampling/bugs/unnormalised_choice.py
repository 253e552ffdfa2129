# expect-bug: sampling from unnormalised probs
import numpy as np


def sample_token(logits, rng, temperature=1.0, top_k=None, top_p=None):
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(logits))
    z = logits / temperature
    if top_k is not None and top_k < len(z):
        cut = np.partition(z, -top_k)[-top_k]
        z = np.where(z >= cut, z, -np.inf)
    probs = np.exp(z - z.max())
    probs /= probs.sum()
    if top_p is not None:
        order = np.argsort(-probs)
        cum = np.cumsum(probs[order])
        n_keep = int(np.searchsorted(cum, top_p)) + 1
        probs[order[n_keep:]] = 0.0  # forgot to renormalise
    return int(rng.choice(len(probs), p=probs))
