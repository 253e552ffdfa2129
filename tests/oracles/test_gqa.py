"""The grouped-query attention reference against torch's SDPA with enable_gqa=True."""
import numpy as np
import pytest

from tfprep.content.reference_impls.gqa import grouped_query_attention

torch = pytest.importorskip("torch")
F = torch.nn.functional


def torch_gqa(q, k, v, mask=None):
    t = torch.from_numpy
    attn_mask = None if mask is None else t(np.ascontiguousarray(mask))  # bool, True = may attend
    try:
        return F.scaled_dot_product_attention(t(q), t(k), t(v), attn_mask=attn_mask, enable_gqa=True).numpy()
    except TypeError:  # torch < 2.5 has no enable_gqa: repeat_interleave is its definition
        G = q.shape[1] // k.shape[1]
        kk, vv = (t(a).repeat_interleave(G, dim=1) for a in (k, v))
        return F.scaled_dot_product_attention(t(q), kk, vv, attn_mask=attn_mask).numpy()


@pytest.mark.parametrize("B,Hq,Hkv,T,S,d,masked", [
    (2, 8, 2, 5, 7, 16, False),
    (1, 6, 3, 6, 6, 8, True),
    (2, 4, 1, 4, 9, 8, False),   # MQA
    (2, 4, 4, 5, 5, 8, True),    # MHA
])
def test_matches_torch(B, Hq, Hkv, T, S, d, masked):
    g = np.random.default_rng(Hq * 10 + Hkv)
    q = g.standard_normal((B, Hq, T, d)) * 2
    k = g.standard_normal((B, Hkv, S, d)) * 2
    v = g.standard_normal((B, Hkv, S, d))
    mask = None
    if masked:
        mask = g.random((T, S)) < 0.6
        mask[:, 0] = True
    np.testing.assert_allclose(grouped_query_attention(q, k, v, mask), torch_gqa(q, k, v, mask),
                               rtol=1e-10, atol=1e-12)
