"""The softmax reference against torch: forward against `torch.softmax`, backward against autograd."""
import numpy as np
import pytest

from tfprep.content.reference_impls.softmax import softmax, softmax_backward

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("shape,axis,temperature", [
    ((7,), -1, 1.0), ((4, 9), -1, 0.5), ((3, 5, 6), 1, 2.0), ((2, 3, 4), 0, 1.0),
])
def test_forward_matches_torch(shape, axis, temperature):
    x = np.random.default_rng(0).standard_normal(shape) * 4.0
    expected = torch.softmax(torch.from_numpy(x) / temperature, dim=axis).numpy()
    np.testing.assert_allclose(softmax(x, axis=axis, temperature=temperature), expected, rtol=1e-12, atol=1e-14)


def test_forward_hostile_matches_torch():
    x = np.random.default_rng(1).standard_normal((5, 11)) * 1000.0
    got = softmax(x)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, torch.softmax(torch.from_numpy(x), dim=-1).numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape,axis", [((7,), -1), ((4, 9), -1), ((3, 5, 6), 1), ((4, 4), 0)])
def test_backward_matches_autograd(shape, axis):
    g = np.random.default_rng(2)
    z, grad_out = g.standard_normal(shape) * 2.0, g.standard_normal(shape)
    zt = torch.from_numpy(z).requires_grad_()
    yt = torch.softmax(zt, dim=axis)
    yt.backward(torch.from_numpy(grad_out))
    got = softmax_backward(grad_out, yt.detach().numpy(), axis=axis)
    np.testing.assert_allclose(got, zt.grad.numpy(), rtol=1e-10, atol=1e-12)
