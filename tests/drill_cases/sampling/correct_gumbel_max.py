# A correct solution written differently from the reference: filter in logit space and draw with
# the Gumbel-max trick (argmax of logits + Gumbel noise samples from their softmax).
import numpy as np


def sample_token(logits, rng, temperature=1.0, top_k=None, top_p=None):
    z = np.asarray(logits, dtype=np.float64).copy()
    if temperature == 0:
        return int(np.argmax(z))
    z /= temperature
    ranked = np.argsort(-z, kind="stable")
    if top_k is not None:
        z[ranked[top_k:]] = -np.inf
    if top_p is not None:
        log_p = z - (z.max() + np.log(np.sum(np.exp(z - z.max()))))  # log-softmax of the survivors
        mass = 0.0
        for n_kept, tok in enumerate(ranked):
            if mass >= top_p:
                z[ranked[n_kept:]] = -np.inf
                break
            mass += np.exp(log_p[tok])
    gumbel = -np.log(-np.log(rng.random(z.shape)))
    return int(np.argmax(z + gumbel))
