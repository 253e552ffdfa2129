"""The differential-attention reference against torch: as two calls of
F.scaled_dot_product_attention (A1 v - lam A2 v, torch's default scale 1/sqrt(d)) and as the
explicit difference of two torch.softmax maps applied to v, which must agree."""
import numpy as np
import pytest

from tfprep.content.reference_impls.differential_attention import differential_attention

torch = pytest.importorskip("torch")
F = torch.nn.functional


def make(seed, batch, t, s, d, d_v, scale=2.0):
    g = np.random.default_rng(seed)
    q1, q2 = (g.standard_normal((*batch, t, d)) * scale for _ in range(2))
    k1, k2 = (g.standard_normal((*batch, s, d)) * scale for _ in range(2))
    return q1, k1, q2, k2, g.standard_normal((*batch, s, d_v))


CASES = [((), 5, 5, 4, 4, 0.8), ((2,), 6, 9, 8, 5, 0.3), ((2, 3), 7, 4, 16, 6, 0.55), ((), 1, 3, 2, 7, -0.2),
         ((3,), 4, 1, 4, 2, 1.0)]


@pytest.mark.parametrize("batch,t,s,d,d_v,lam", CASES)
def test_matches_two_sdpa_calls(batch, t, s, d, d_v, lam):
    q1, k1, q2, k2, v = make(0, batch, t, s, d, d_v)
    tq1, tk1, tq2, tk2, tv = (torch.from_numpy(a) for a in (q1, k1, q2, k2, v))
    expected = F.scaled_dot_product_attention(tq1, tk1, tv) - lam * F.scaled_dot_product_attention(tq2, tk2, tv)
    np.testing.assert_allclose(differential_attention(q1, k1, q2, k2, v, lam), expected.numpy(), rtol=1e-11,
                               atol=1e-12)


@pytest.mark.parametrize("batch,t,s,d,d_v,lam", CASES)
def test_matches_torch_softmax_difference(batch, t, s, d, d_v, lam):
    q1, k1, q2, k2, v = make(1, batch, t, s, d, d_v)
    tq1, tk1, tq2, tk2, tv = (torch.from_numpy(a) for a in (q1, k1, q2, k2, v))
    a1 = torch.softmax(tq1 @ tk1.transpose(-1, -2) / d ** 0.5, dim=-1)
    a2 = torch.softmax(tq2 @ tk2.transpose(-1, -2) / d ** 0.5, dim=-1)
    np.testing.assert_allclose(differential_attention(q1, k1, q2, k2, v, lam), ((a1 - lam * a2) @ tv).numpy(),
                               rtol=1e-11, atol=1e-12)


def test_hostile_magnitudes_match_torch():
    q1, k1, q2, k2, v = make(2, (2,), 6, 7, 4, 3, scale=30.0)
    got = differential_attention(q1, k1, q2, k2, v, 0.7)
    tq1, tk1, tq2, tk2, tv = (torch.from_numpy(a) for a in (q1, k1, q2, k2, v))
    expected = F.scaled_dot_product_attention(tq1, tk1, tv) - 0.7 * F.scaled_dot_product_attention(tq2, tk2, tv)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, expected.numpy(), rtol=1e-10, atol=1e-11)


def test_worked_example():
    """The statement's example: A1 = softmax([2, 0]), A2 = softmax([0, 1]), lam = 0.5, v = [2, -1]."""
    q1, k1, q2, k2 = np.array([[2.0]]), np.array([[1.0], [0.0]]), np.array([[1.0]]), np.array([[0.0], [1.0]])
    v = np.array([[2.0], [-1.0]])
    a1 = np.array([np.e ** 2, 1.0]) / (np.e ** 2 + 1)
    a2 = np.array([1.0, np.e]) / (1 + np.e)
    expected = (a1 - 0.5 * a2) @ v
    np.testing.assert_allclose(differential_attention(q1, k1, q2, k2, v, 0.5), [expected], rtol=1e-14)
    assert abs(expected[0] - 1.7390) < 1e-4
