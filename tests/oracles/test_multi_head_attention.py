"""The multi-head attention reference against torch.nn.functional.multi_head_attention_forward."""
import numpy as np
import pytest

from tfprep.content.reference_impls.multi_head_attention import multi_head_attention

torch = pytest.importorskip("torch")
from torch_oracles import torch_mha  # noqa: E402


@pytest.mark.parametrize("B,T,S,D,H,cross,masked", [
    (2, 5, 5, 12, 3, False, False),
    (1, 7, 7, 16, 4, False, True),
    (3, 4, 9, 8, 2, True, False),
    (2, 6, 3, 12, 6, True, True),
])
def test_matches_torch(B, T, S, D, H, cross, masked):
    g = np.random.default_rng(B * 100 + T * 10 + H)
    x = g.standard_normal((B, T, D)) * 2
    ws = [g.standard_normal((D, D)) / np.sqrt(D) for _ in range(4)]
    context = g.standard_normal((B, S, D)) * 2 if cross else None
    mask = None
    if masked:
        mask = g.random((B, 1, T, S)) < 0.6
        mask[..., 0] = True
    ours = multi_head_attention(x, *ws, H, mask=mask, context=context)
    np.testing.assert_allclose(ours, torch_mha(x, *ws, H, mask=mask, context=context), rtol=1e-10, atol=1e-12)
