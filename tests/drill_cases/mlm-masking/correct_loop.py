# A correct solution written as a plain loop over positions, one decision at a time.
import numpy as np


def mask_for_mlm(token_ids, rng, mask_id, vocab_size, special_ids=(), p=0.15):
    ids = np.asarray(token_ids)
    special = {int(s) for s in special_ids}
    inputs = ids.copy().ravel()
    labels = np.full(inputs.shape, -100, dtype=np.int64)
    for i, tok in enumerate(ids.ravel()):
        if int(tok) in special or rng.random() >= p:
            continue
        labels[i] = tok
        r = rng.random()
        if r < 0.8:
            inputs[i] = mask_id
        elif r < 0.9:
            inputs[i] = rng.integers(vocab_size)
    return inputs.reshape(ids.shape), labels.reshape(ids.shape)
