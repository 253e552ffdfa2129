# expect-bug: 100% [MASK]: every selected position became mask_id (80% [MASK], 10% random, 10% unchanged)
import numpy as np


def mask_for_mlm(token_ids, rng, mask_id, vocab_size, special_ids=(), p=0.15):
    ids = np.asarray(token_ids)
    special = np.isin(ids, list(special_ids))
    selected = (rng.random(ids.shape) < p) & ~special
    labels = np.where(selected, ids, -100)
    inputs = np.where(selected, mask_id, ids)
    return inputs, labels
