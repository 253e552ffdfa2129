"""Check the tiled FlashAttention reference against torch's scaled_dot_product_attention."""
import numpy as np
import pytest

from tfprep.content.reference_impls.flash_attention_numpy import flash_attention


@pytest.mark.parametrize("n,d,block_size", [(1, 8, 4), (37, 16, 8), (100, 32, 64), (64, 8, 64), (50, 8, 128)])
@pytest.mark.parametrize("causal", [False, True])
def test_against_torch_sdpa(n, d, block_size, causal):
    torch = pytest.importorskip("torch")
    g = np.random.default_rng(n + block_size)
    q, k, v = (g.standard_normal((n, d)) * 2.0 for _ in range(3))
    expected = torch.nn.functional.scaled_dot_product_attention(
        torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(v), is_causal=causal).numpy()
    np.testing.assert_allclose(flash_attention(q, k, v, block_size, causal), expected, rtol=1e-10, atol=1e-12)


def test_hostile_magnitudes_against_torch():
    torch = pytest.importorskip("torch")
    g = np.random.default_rng(1)
    q, k, v = (g.standard_normal((40, 4)) for _ in range(3))
    q, k = q * 25.0, k * 25.0 * np.linspace(1.0, 3.0, 40)[:, None]  # scores of order 1000
    expected = torch.nn.functional.scaled_dot_product_attention(
        torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(v), is_causal=True).numpy()
    out = flash_attention(q, k, v, 8, causal=True)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-10)
