# A correct solution in the style of Hugging Face's DataCollatorForLanguageModeling: a Bernoulli
# selection, then 80% of it to [MASK], then half of what is left to a random id (0.5 * 20% = 10%).
import numpy as np


def mask_for_mlm(token_ids, rng, mask_id, vocab_size, special_ids=(), p=0.15):
    labels = np.array(token_ids, copy=True)
    inputs = np.array(token_ids, copy=True)
    special_tokens_mask = np.isin(labels, np.asarray(list(special_ids), dtype=labels.dtype))
    probability_matrix = np.full(labels.shape, p)
    probability_matrix[special_tokens_mask] = 0.0
    masked_indices = rng.binomial(1, probability_matrix).astype(bool)
    labels[~masked_indices] = -100

    indices_replaced = rng.binomial(1, np.full(labels.shape, 0.8)).astype(bool) & masked_indices
    inputs[indices_replaced] = mask_id

    indices_random = rng.binomial(1, np.full(labels.shape, 0.5)).astype(bool) & masked_indices & ~indices_replaced
    random_words = rng.integers(vocab_size, size=labels.shape)
    inputs[indices_random] = random_words[indices_random]
    return inputs, labels
