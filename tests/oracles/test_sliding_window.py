"""Check the sliding-window reference against a hand-worked mask and torch's SDPA."""
import numpy as np
import pytest

from tfprep.content.reference_impls.sliding_window import sliding_window_attention, sliding_window_mask


def test_mask_hand_worked():
    # T = 5, window = 2: each row holds the diagonal and the key just before it.
    expected = np.array([
        [1, 0, 0, 0, 0],
        [1, 1, 0, 0, 0],
        [0, 1, 1, 0, 0],
        [0, 0, 1, 1, 0],
        [0, 0, 0, 1, 1],
    ], dtype=bool)
    assert (sliding_window_mask(5, 2) == expected).all()
    assert (sliding_window_mask(4, 1) == np.eye(4, dtype=bool)).all()
    assert (sliding_window_mask(4, 9) == np.tril(np.ones((4, 4), dtype=bool))).all()


@pytest.mark.parametrize("batch,t,dk,dv,window", [((2, 3), 9, 8, 5, 3), ((1,), 16, 16, 16, 4), ((2,), 5, 4, 4, 7)])
def test_against_torch_sdpa(batch, t, dk, dv, window):
    torch = pytest.importorskip("torch")
    g = np.random.default_rng(0)
    q, k = g.standard_normal((*batch, t, dk)) * 2, g.standard_normal((*batch, t, dk)) * 2
    v = g.standard_normal((*batch, t, dv))
    # torch builds the band from its own tril/triu, independently of our index comparisons.
    ones = torch.ones(t, t, dtype=torch.bool)
    band = torch.tril(ones) & torch.triu(ones, diagonal=-(window - 1))
    expected = torch.nn.functional.scaled_dot_product_attention(
        torch.from_numpy(q), torch.from_numpy(k), torch.from_numpy(v), attn_mask=band).numpy()
    np.testing.assert_allclose(sliding_window_attention(q, k, v, window), expected, rtol=1e-10, atol=1e-12)
