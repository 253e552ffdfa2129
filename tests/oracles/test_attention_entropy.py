"""The attention-entropy reference against torch: `torch.special.entr(w).sum(-1)` (entr(0) = 0)."""
import math

import numpy as np
import pytest

from tfprep.content.reference_impls.attention_entropy import attention_entropy

torch = pytest.importorskip("torch")


def torch_entropy(w):
    return torch.special.entr(torch.from_numpy(w)).sum(-1).numpy()


def softmax_weights(shape, scale, seed, mask=None):
    scores = torch.from_numpy(np.random.default_rng(seed).standard_normal(shape) * scale)
    if mask is not None:
        scores = scores.masked_fill(~torch.from_numpy(mask), float("-inf"))
    return torch.softmax(scores, dim=-1).numpy()


@pytest.mark.parametrize("shape,scale", [((5, 7), 2.0), ((2, 3, 4, 9), 2.0), ((3, 1, 5), 1.0), ((4, 5, 9), 1000.0)])
def test_matches_torch_entr(shape, scale):
    w = softmax_weights(shape, scale, seed=shape[-1])
    got = attention_entropy(w)
    assert got.shape == shape[:-1] and np.isfinite(got).all()
    np.testing.assert_allclose(got, torch_entropy(w), rtol=1e-12, atol=1e-14)


def test_masked_and_causal_match_torch():
    g = np.random.default_rng(3)
    mask = g.random((2, 6, 8)) < 0.5
    mask[..., 0] = True
    causal = np.broadcast_to(np.tril(np.ones((6, 6), dtype=bool)), (2, 2, 6, 6)).copy()
    for w in (softmax_weights((2, 6, 8), 2.0, 4, mask), softmax_weights((2, 2, 6, 6), 2.0, 5, causal)):
        assert (w == 0).any()
        np.testing.assert_allclose(attention_entropy(w), torch_entropy(w), rtol=1e-12, atol=1e-14)


def test_float32_matches_torch():
    w = softmax_weights((3, 6, 10), 2.0, 6).astype(np.float32)
    np.testing.assert_allclose(attention_entropy(w), torch_entropy(w), rtol=1e-6, atol=1e-6)


def test_hand_worked_values():
    w = np.array([[0.5, 0.25, 0.25, 0.0], [0.25] * 4, [1.0, 0.0, 0.0, 0.0]])
    np.testing.assert_allclose(attention_entropy(w), [1.5 * math.log(2), math.log(4), 0.0], rtol=1e-15, atol=0)
