"""Check tfprep.content.reference_impls.layer_norm against torch.nn.functional.layer_norm and rms_norm."""
import numpy as np
import pytest

from tfprep.content.reference_impls.layer_norm import layer_norm, rms_norm

torch = pytest.importorskip("torch")
F = torch.nn.functional


@pytest.mark.parametrize("shape", [(7,), (4, 16), (2, 5, 33), (2, 3, 4, 8)])
@pytest.mark.parametrize("eps", [1e-5, 1e-2])
def test_layer_norm_matches_torch(shape, eps):
    g = np.random.default_rng(sum(shape))
    x = g.standard_normal(shape) * 3 + 1.5
    gamma, beta = g.standard_normal(shape[-1]), g.standard_normal(shape[-1])
    expected = F.layer_norm(torch.from_numpy(x), shape[-1:], torch.from_numpy(gamma), torch.from_numpy(beta), eps)
    np.testing.assert_allclose(layer_norm(x, gamma, beta, eps), expected.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(7,), (4, 16), (2, 5, 33), (2, 3, 4, 8)])
@pytest.mark.parametrize("eps", [1e-6, 1e-2])
def test_rms_norm_matches_torch(shape, eps):
    g = np.random.default_rng(100 + sum(shape))
    x = g.standard_normal(shape) * 3 + 1.5
    weight = g.standard_normal(shape[-1])
    expected = F.rms_norm(torch.from_numpy(x), shape[-1:], torch.from_numpy(weight), eps=eps)
    np.testing.assert_allclose(rms_norm(x, weight, eps), expected.numpy(), rtol=1e-10, atol=1e-12)


def test_layer_norm_small_variance_matches_torch():
    # Variance ~1e-6, comparable to eps: checks eps sits inside the sqrt exactly as torch's.
    g = np.random.default_rng(7)
    x = g.standard_normal((3, 10)) * 1e-3
    ones, zeros = np.ones(10), np.zeros(10)
    expected = F.layer_norm(torch.from_numpy(x), (10,), eps=1e-5)
    np.testing.assert_allclose(layer_norm(x, ones, zeros), expected.numpy(), rtol=1e-10, atol=1e-12)
