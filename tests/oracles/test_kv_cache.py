"""The KV-cache reference, fed a sequence chunk by chunk, against torch's full causal
multi-head attention (torch.nn.functional.multi_head_attention_forward) over the whole sequence."""
import numpy as np
import pytest

from reference_impls.kv_cache import attend_step

torch = pytest.importorskip("torch")
F = torch.nn.functional


def torch_causal_mha(x, w_q, w_k, w_v, w_o, n_heads):
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    T = x.shape[1]
    xt = t(x).transpose(0, 1)  # (T, B, D): torch's functional MHA is sequence-first
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)  # True = may NOT attend
    out, _ = F.multi_head_attention_forward(
        xt, xt, xt, x.shape[-1], n_heads,
        in_proj_weight=t(np.concatenate([w_q.T, w_k.T, w_v.T])), in_proj_bias=None,
        bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.0,
        out_proj_weight=t(w_o.T), out_proj_bias=None, training=False,
        need_weights=False, attn_mask=future)
    return out.transpose(0, 1).numpy()  # (B, T, D)


@pytest.mark.parametrize("B,D,H,sizes", [
    (2, 12, 3, [1] * 7),
    (1, 16, 4, [5, 1, 1, 1]),
    (3, 8, 2, [2, 3, 1, 4]),
])
def test_incremental_matches_torch_full(B, D, H, sizes):
    g = np.random.default_rng(D + len(sizes))
    T = sum(sizes)
    x = g.standard_normal((B, T, D)) * 2
    ws = [g.standard_normal((D, D)) / np.sqrt(D) for _ in range(4)]
    outs, cache, a = [], None, 0
    for n in sizes:
        out, cache = attend_step(x[:, a:a + n], cache, *ws, H)
        outs.append(out)
        a += n
    assert cache["k"].shape == cache["v"].shape == (B, H, T, D // H)
    np.testing.assert_allclose(np.concatenate(outs, axis=1), torch_causal_mha(x, *ws, H), rtol=1e-10, atol=1e-12)
    # The cache holds the projected keys and values of every token, heads split off D.
    k_torch = (torch.from_numpy(x) @ torch.from_numpy(ws[1])).reshape(B, T, H, D // H).transpose(1, 2)
    np.testing.assert_allclose(cache["k"], k_torch.numpy(), rtol=1e-12, atol=1e-12)
