"""The mlm-masking reference against hand-worked cases (a stand-in generator feeds it chosen
random numbers) and against an independent torch re-derivation of Hugging Face's
DataCollatorForLanguageModeling.torch_mask_tokens (Bernoulli(p) selection, Bernoulli(0.8) to
[MASK], Bernoulli(0.5) of the rest to a random id from randint(vocab)), compared by frequency."""
import numpy as np
import pytest

from tfprep.content.reference_impls.mlm_masking import mask_for_mlm


class _Scripted:
    """Returns the arrays it was given, in order, for random() and integers()."""

    def __init__(self, uniforms, ints):
        self.uniforms, self.ints = list(uniforms), ints

    def random(self, shape):
        return np.asarray(self.uniforms.pop(0)).reshape(shape)

    def integers(self, low, high, size=None):
        assert (low, high) == (0, 30)
        return np.asarray(self.ints).reshape(size)


def test_hand_worked():
    ids = np.array([[101, 7, 8, 9, 10, 102]]) % 30  # 101 -> 11, 102 -> 12 are the specials
    select = [[0.0, 0.1, 0.9, 0.05, 0.12, 0.0]]  # p = 0.15: positions 1, 3, 4 (0 and 5 are special)
    split = [[0.0, 0.5, 0.0, 0.85, 0.95, 0.0]]  # 1 -> mask, 3 -> random, 4 -> unchanged
    rng = _Scripted([select, split], [[20, 21, 22, 23, 24, 25]])
    inputs, labels = mask_for_mlm(ids, rng, mask_id=3, vocab_size=30, special_ids=(11, 12))
    np.testing.assert_array_equal(inputs, [[11, 3, 8, 23, 10, 12]])
    np.testing.assert_array_equal(labels, [[-100, 7, -100, 9, 10, -100]])


def _hf_outcomes(torch, ids, special_ids, mask_id, vocab, p, seed):
    torch.manual_seed(seed)
    labels = torch.from_numpy(ids).clone()
    inputs = labels.clone()
    probability_matrix = torch.full(labels.shape, p)
    special = torch.isin(labels, torch.tensor(special_ids))
    probability_matrix.masked_fill_(special, 0.0)
    masked = torch.bernoulli(probability_matrix).bool()
    labels[~masked] = -100
    replaced = torch.bernoulli(torch.full(labels.shape, 0.8)).bool() & masked
    inputs[replaced] = mask_id
    random_ = torch.bernoulli(torch.full(labels.shape, 0.5)).bool() & masked & ~replaced
    inputs[random_] = torch.randint(vocab, labels.shape)[random_]
    return inputs.numpy(), labels.numpy()


def _frequencies(ids, inputs, labels, vocab):
    sel = labels != -100
    return np.concatenate([[sel.mean()], np.bincount(inputs[sel], minlength=vocab) / sel.sum(),
                           [(inputs[sel] == ids[sel]).mean()]])


def test_frequencies_match_hf_collator_in_torch():
    torch = pytest.importorskip("torch")
    vocab, mask_id, specials = 12, 3, (0, 1)
    ids = np.random.default_rng(0).integers(4, vocab, size=(400, 250))
    ids[:, 0], ids[:, -1] = 1, 0
    ours = _frequencies(ids, *mask_for_mlm(ids, np.random.default_rng(1), mask_id, vocab, specials, p=0.3), vocab)
    theirs = _frequencies(ids, *_hf_outcomes(torch, ids, list(specials), mask_id, vocab, 0.3, 2), vocab)
    np.testing.assert_allclose(ours, theirs, atol=0.006)
    assert abs(ours[0] - 0.3 * 248 / 250) < 0.003 and abs(ours[1 + mask_id] - (0.8 + 0.1 / vocab)) < 0.006
