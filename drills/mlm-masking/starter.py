"""Drill: BERT's masked-language-model masking, 80% [MASK] / 10% random / 10% unchanged (NumPy).

Implement `mask_for_mlm`. Run `tfprep drill mlm-masking` to grade this file.
"""
import numpy as np


def mask_for_mlm(token_ids, rng, mask_id, vocab_size, special_ids=(), p=0.15):
    """Corrupt token ids for masked-language-model training.

    Args:
        token_ids: integer array of any shape, e.g. (B, T). Not modified.
        rng: a numpy.random.Generator; every random number comes from it.
        mask_id: the id of the [MASK] token.
        vocab_size: ids are 0 .. vocab_size - 1; random replacements are uniform over all of them.
        special_ids: ids ([CLS], [SEP], [PAD]...) whose positions are never selected.
        p: probability that an ordinary position is selected, independently of the others.

    Returns:
        (inputs, labels), integer arrays of token_ids' shape. Of the selected positions, 80% get
        mask_id, 10% a random id, 10% keep theirs; labels hold the original id at the selected
        positions and -100 elsewhere.
    """
    raise NotImplementedError
