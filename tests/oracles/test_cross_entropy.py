"""Check tfprep.content.reference_impls.cross_entropy against torch.nn.functional.cross_entropy."""
import math

import numpy as np
import pytest

from tfprep.content.reference_impls.cross_entropy import cross_entropy, log_softmax, perplexity

torch = pytest.importorskip("torch")
F = torch.nn.functional


def torch_ce(logits, targets, ignore_index=-100):
    v = logits.shape[-1]
    return F.cross_entropy(torch.from_numpy(logits).reshape(-1, v), torch.from_numpy(targets).reshape(-1),
                           ignore_index=ignore_index).item()


@pytest.mark.parametrize("batch,vocab,scale", [((7,), 5, 3.0), ((2, 6), 11, 3.0), ((3, 4, 5), 50, 1000.0)])
@pytest.mark.parametrize("ignore_index", [-100, 0])
def test_cross_entropy_matches_torch(batch, vocab, scale, ignore_index):
    g = np.random.default_rng(vocab)
    logits = g.standard_normal((*batch, vocab)) * scale
    targets = g.integers(0, vocab, size=batch)
    targets = np.where(g.random(batch) < 0.3, ignore_index, targets)
    targets.flat[0] = 1  # never all ignored
    expected = torch_ce(logits, targets, ignore_index)
    assert math.isfinite(expected)
    np.testing.assert_allclose(cross_entropy(logits, targets, ignore_index), expected, rtol=1e-10)
    if expected < 700:  # exp of a hostile-logit loss (~1000 nats) is inf in float64
        np.testing.assert_allclose(perplexity(logits, targets, ignore_index), math.exp(expected), rtol=1e-9)


def test_log_softmax_matches_torch_on_hostile_logits():
    z = np.random.default_rng(0).standard_normal((4, 9)) * 1000
    np.testing.assert_allclose(log_softmax(z), F.log_softmax(torch.from_numpy(z), dim=-1).numpy(), rtol=1e-12)


def test_uniform_by_hand():
    # Uniform logits over V classes: CE = log V, perplexity = V.
    logits, targets = np.zeros((3, 8)), np.array([0, 5, 7])
    assert cross_entropy(logits, targets) == pytest.approx(math.log(8), rel=1e-12)
    assert perplexity(logits, targets) == pytest.approx(8.0, rel=1e-12)
