"""Masked-language-model input corruption (Devlin et al., 2019, "BERT: Pre-training of Deep
Bidirectional Transformers for Language Understanding", section 3.1 and appendix A.1), with
each position selected independently, as in Hugging Face's DataCollatorForLanguageModeling:

    selected_i ~ Bernoulli(p)                     for every non-special position i
    of the selected: 80% -> mask_id, 10% -> a token drawn uniformly from [0, vocab_size),
                     10% -> left unchanged
    labels_i = token_ids_i if selected_i else -100   (-100: ignored by the cross-entropy)

The 10% random and 10% unchanged keep the model from learning that only [MASK] positions
matter, since [MASK] never appears at fine-tuning time.

Dimension legend: see reference_impls/README.md (B batch, T tokens, V vocabulary size).
"""
from __future__ import annotations

import numpy as np

IGNORE_INDEX = -100


def mask_for_mlm(token_ids, rng: np.random.Generator, mask_id, vocab_size, special_ids=(), p=0.15):
    """token_ids: int array, any shape (e.g. (B, T)). Returns (inputs, labels), both of that shape."""
    token_ids = np.asarray(token_ids)
    special = np.isin(token_ids, np.asarray(list(special_ids), dtype=token_ids.dtype))  # (B, T)
    selected = (rng.random(token_ids.shape) < p) & ~special  # (B, T): each position on its own
    labels = np.where(selected, token_ids, IGNORE_INDEX)  # (B, T)

    # One draw per position splits the selected ones 80 / 10 / 10.
    u = rng.random(token_ids.shape)  # (B, T)
    to_mask = selected & (u < 0.8)
    to_random = selected & (u >= 0.8) & (u < 0.9)  # the last 10% stay unchanged
    random_tokens = rng.integers(0, vocab_size, size=token_ids.shape)  # (B, T), uniform over V

    inputs = token_ids.copy()
    inputs[to_mask] = mask_id
    inputs[to_random] = random_tokens[to_random]
    return inputs, labels
