# expect-bug: labels taken from the corrupted inputs (a label is the original id)
import numpy as np


def mask_for_mlm(token_ids, rng, mask_id, vocab_size, special_ids=(), p=0.15):
    ids = np.asarray(token_ids)
    special = np.isin(ids, list(special_ids))
    selected = (rng.random(ids.shape) < p) & ~special
    u = rng.random(ids.shape)
    inputs = ids.copy()
    inputs[selected & (u < 0.8)] = mask_id
    rand = selected & (u >= 0.8) & (u < 0.9)
    inputs[rand] = rng.integers(0, vocab_size, size=ids.shape)[rand]
    labels = np.where(selected, inputs, -100)  # read after the inputs were overwritten
    return inputs, labels
