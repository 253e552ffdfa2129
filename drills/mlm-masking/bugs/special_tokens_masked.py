# expect-bug: special tokens masked (positions holding special_ids are never selected)
import numpy as np


def mask_for_mlm(token_ids, rng, mask_id, vocab_size, special_ids=(), p=0.15):
    ids = np.asarray(token_ids)
    selected = rng.random(ids.shape) < p  # special_ids never consulted
    labels = np.where(selected, ids, -100)
    u = rng.random(ids.shape)
    inputs = ids.copy()
    inputs[selected & (u < 0.8)] = mask_id
    rand = selected & (u >= 0.8) & (u < 0.9)
    inputs[rand] = rng.integers(0, vocab_size, size=ids.shape)[rand]
    return inputs, labels
