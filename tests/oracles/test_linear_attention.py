"""The linear-attention reference against torch: F.elu + 1 as the feature map and the explicit
quadratic form of the paper's eq. 4 (a (T, S) matrix of kernel similarities, masked with tril when
causal, rows normalised), which is what the reference must equal without ever building it."""
import numpy as np
import pytest

from tfprep.content.reference_impls.linear_attention import elu_feature_map, linear_attention

torch = pytest.importorskip("torch")
F = torch.nn.functional


def torch_quadratic(q, k, v, causal):
    q, k, v = (torch.from_numpy(x) for x in (q, k, v))
    w = (F.elu(q) + 1) @ (F.elu(k) + 1).transpose(-1, -2)  # (..., T, S) kernel similarities
    if causal:
        w = torch.tril(w)
    return ((w @ v) / w.sum(dim=-1, keepdim=True)).numpy()


@pytest.mark.parametrize("batch,t,s,d,d_v,causal", [
    ((), 7, 7, 4, 3, False), ((2, 3), 9, 5, 8, 6, False), ((), 1, 4, 2, 2, False),
    ((), 11, 11, 4, 3, True), ((2, 3), 9, 9, 8, 6, True), ((4,), 1, 1, 5, 2, True),
])
def test_matches_torch_quadratic(batch, t, s, d, d_v, causal):
    g = np.random.default_rng(0)
    q, k = g.standard_normal((*batch, t, d)) * 1.5, g.standard_normal((*batch, s, d)) * 1.5
    v = g.standard_normal((*batch, s, d_v))
    np.testing.assert_allclose(linear_attention(q, k, v, causal=causal), torch_quadratic(q, k, v, causal),
                               rtol=1e-11, atol=1e-13)


def test_feature_map_matches_torch_elu():
    x = np.concatenate([np.linspace(-40, 40, 801), [0.0, -0.0, 1e-300, -1e-300]])
    t = torch.from_numpy(x)
    # F.elu(x) + 1 rounds to within one ulp of 1 (~1.1e-16) in absolute terms: the + 1 cancels.
    np.testing.assert_allclose(elu_feature_map(x), (F.elu(t) + 1).numpy(), rtol=1e-15, atol=2.3e-16)
    # On the negative side elu(x) + 1 is exactly exp(x), which keeps full relative precision.
    neg = x <= 0
    np.testing.assert_allclose(elu_feature_map(x)[neg], torch.exp(t[neg]).numpy(), rtol=1e-15, atol=0)


def test_tiny_normaliser_matches_torch():
    """q, k around -10: every similarity is ~1e-8, no epsilon anywhere, still exact. (F.elu + 1 keeps
    only ~1e-12 relative precision near phi = 4.5e-5, hence rtol 1e-9 here.)"""
    g = np.random.default_rng(1)
    q, k = (g.standard_normal((3, 8, 6)) * 0.5 - 10 for _ in range(2))
    v = g.standard_normal((3, 8, 4))
    for causal in (False, True):
        np.testing.assert_allclose(linear_attention(q, k, v, causal=causal), torch_quadratic(q, k, v, causal),
                                   rtol=1e-9, atol=0)


def test_worked_example():
    """The statement's example, by hand: phi(q) = [[2, 1], [1, e^-1]], phi(k) = [[1, 2], [e^-2, 1.5]]."""
    q, k, v = np.array([[1.0, 0.0], [0.0, -1.0]]), np.array([[0.0, 1.0], [-2.0, 0.5]]), np.array([[1.0], [3.0]])
    e1, e2 = np.exp(-1.0), np.exp(-2.0)
    w = np.array([[4.0, 2 * e2 + 1.5], [1 + 2 * e1, e2 + 1.5 * e1]])
    expected = (w @ v) / w.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(linear_attention(q, k, v), expected, rtol=1e-14)
    np.testing.assert_allclose(linear_attention(q, k, v, causal=True), [[1.0], [expected[1, 0]]], rtol=1e-14)
    np.testing.assert_allclose(expected[:, 0], [1.6137, 1.5672], atol=1e-4)
