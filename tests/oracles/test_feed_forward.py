"""Check tfprep.content.reference_impls.feed_forward against torch.nn.functional.gelu and silu."""
import numpy as np
import pytest

from tfprep.content.reference_impls.feed_forward import gelu, silu, swiglu_ffn

torch = pytest.importorskip("torch")
F = torch.nn.functional

X = np.concatenate([np.linspace(-8.0, 8.0, 321), [-1000.0, -50.0, 50.0, 1000.0]])


def test_gelu_exact_matches_torch():
    np.testing.assert_allclose(gelu(X), F.gelu(torch.from_numpy(X)).numpy(), rtol=1e-12, atol=1e-15)


def test_gelu_tanh_matches_torch():
    expected = F.gelu(torch.from_numpy(X), approximate="tanh").numpy()
    np.testing.assert_allclose(gelu(X, approximate=True), expected, rtol=1e-12, atol=1e-15)


def test_gelu_by_hand():
    # GELU(1) = Phi(1), the standard normal CDF at 1 (tables: 0.841344746...).
    np.testing.assert_allclose(gelu(np.array([0.0, 1.0])), [0.0, 0.8413447460685429], rtol=1e-14)


def test_silu_matches_torch():
    np.testing.assert_allclose(silu(X), F.silu(torch.from_numpy(X)).numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("shape,d,f", [((5,), 8, 12), ((2, 3), 6, 4)])
def test_swiglu_matches_torch(shape, d, f):
    g = np.random.default_rng(d * f)
    x = g.standard_normal((*shape, d))
    w_gate, w_up, w_down = g.standard_normal((d, f)), g.standard_normal((d, f)), g.standard_normal((f, d))
    t = [torch.from_numpy(a) for a in (x, w_gate, w_up, w_down)]
    expected = (F.silu(t[0] @ t[1]) * (t[0] @ t[2])) @ t[3]
    np.testing.assert_allclose(swiglu_ffn(x, w_gate, w_up, w_down), expected.numpy(), rtol=1e-10, atol=1e-12)
