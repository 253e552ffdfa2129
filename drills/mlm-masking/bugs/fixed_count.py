# expect-bug: a fixed number of positions selected per sequence (each position must be selected on its own with probability p)
import numpy as np


def mask_for_mlm(token_ids, rng, mask_id, vocab_size, special_ids=(), p=0.15):
    ids = np.atleast_2d(np.asarray(token_ids))
    inputs, labels = ids.copy(), np.full(ids.shape, -100, dtype=np.int64)
    for r in range(ids.shape[0]):
        candidates = np.flatnonzero(~np.isin(ids[r], list(special_ids)))
        n = max(1, int(round(len(candidates) * p)))  # as BERT's create_pretraining_data.py
        for i in rng.permutation(candidates)[:n]:
            labels[r, i] = ids[r, i]
            u = rng.random()
            if u < 0.8:
                inputs[r, i] = mask_id
            elif u < 0.9:
                inputs[r, i] = rng.integers(vocab_size)
    shape = np.shape(token_ids)
    return inputs.reshape(shape), labels.reshape(shape)
