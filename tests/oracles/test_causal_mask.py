"""The causal-mask reference against torch's lower-right causal bias, and a hand-worked example."""
import numpy as np
import pytest

from tfprep.content.reference_impls.causal_mask import causal_mask

SHAPES = [(1, 1), (5, 5), (3, 7), (1, 6), (7, 3), (6, 1)]


def test_hand_worked():
    # 2 queries, 4 keys: the queries are positions 2 and 3 of the sequence.
    assert causal_mask(2, 4).tolist() == [[True, True, True, False], [True, True, True, True]]
    # 3 queries, 2 keys: the first query sees nothing.
    assert causal_mask(3, 2).tolist() == [[False, False], [True, False], [True, True]]
    assert causal_mask(3).tolist() == [[True, False, False], [True, True, False], [True, True, True]]
    assert causal_mask(4, 4).dtype == np.bool_


# torch warns that lq > lk leaves rows with no key (NaN in attention); the mask itself is fine.
@pytest.mark.filterwarnings("ignore:Lower right causal bias")
@pytest.mark.parametrize("lq,lk", SHAPES)
def test_matches_torch_causal_lower_right(lq, lk):
    bias = pytest.importorskip("torch.nn.attention.bias")
    expected = bias.causal_lower_right(lq, lk)._materialize().numpy()
    np.testing.assert_array_equal(causal_mask(lq, lk), expected)


@pytest.mark.parametrize("lq,lk", [s for s in SHAPES if s[1] >= s[0]])
def test_attention_with_mask_matches_torch_sdpa(lq, lk):
    torch = pytest.importorskip("torch")
    bias = pytest.importorskip("torch.nn.attention.bias")
    F = torch.nn.functional
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, n, 8, generator=g, dtype=torch.float64) for n in (lq, lk, lk))
    got = F.scaled_dot_product_attention(q, k, v, attn_mask=torch.from_numpy(causal_mask(lq, lk)))
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.causal_lower_right(lq, lk))
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
