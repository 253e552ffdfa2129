# expect-bug: random ids drawn from a range that misses the top of the vocabulary (0..vocab_size-2)
import numpy as np


def mask_for_mlm(token_ids, rng, mask_id, vocab_size, special_ids=(), p=0.15):
    ids = np.asarray(token_ids)
    selected = (rng.random(ids.shape) < p) & ~np.isin(ids, list(special_ids))
    labels = np.where(selected, ids, -100)
    u = rng.random(ids.shape)
    inputs = ids.copy()
    inputs[selected & (u < 0.8)] = mask_id
    random_ids = rng.integers(0, vocab_size - 1, size=ids.shape)  # the upper bound is already excluded
    swap = selected & (u >= 0.8) & (u < 0.9)
    inputs[swap] = random_ids[swap]
    return inputs, labels
