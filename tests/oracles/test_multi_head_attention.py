"""The multi-head attention reference against torch.nn.functional.multi_head_attention_forward."""
import numpy as np
import pytest

from reference_impls.multi_head_attention import multi_head_attention

torch = pytest.importorskip("torch")
F = torch.nn.functional


def torch_mha(x, w_q, w_k, w_v, w_o, n_heads, mask=None, context=None):
    """torch's MHA on the same weights: it computes x @ W^T in (T, B, D) layout and its bool
    attn_mask marks positions that may NOT attend, the opposite of ours."""
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    c = x if context is None else context
    query, kv = t(x).transpose(0, 1), t(c).transpose(0, 1)  # (T, B, D), (S, B, D)
    attn_mask = None
    if mask is not None:
        B, T, S = x.shape[0], x.shape[1], c.shape[1]
        full = np.broadcast_to(mask, (B, n_heads, T, S)).reshape(B * n_heads, T, S)
        attn_mask = t(~full)
    out, _ = F.multi_head_attention_forward(
        query, kv, kv, x.shape[-1], n_heads,
        in_proj_weight=t(np.concatenate([w_q.T, w_k.T, w_v.T])), in_proj_bias=None,
        bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.0,
        out_proj_weight=t(w_o.T), out_proj_bias=None, training=False,
        need_weights=False, attn_mask=attn_mask)
    return out.transpose(0, 1).numpy()  # (B, T, D)


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
