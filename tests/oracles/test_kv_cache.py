"""The KV-cache reference, fed a sequence chunk by chunk, against torch's full causal
multi-head attention (torch.nn.functional.multi_head_attention_forward) over the whole sequence."""
import numpy as np
import pytest

from tfprep.content.reference_impls.kv_cache import attend_step

torch = pytest.importorskip("torch")
from torch_oracles import torch_mha  # noqa: E402


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
    np.testing.assert_allclose(np.concatenate(outs, axis=1), torch_mha(x, *ws, H, mask=np.tril(np.ones((x.shape[1],) * 2, dtype=bool))), rtol=1e-10, atol=1e-12)
    # The cache holds the projected keys and values of every token, heads split off D.
    k_torch = (torch.from_numpy(x) @ torch.from_numpy(ws[1])).reshape(B, T, H, D // H).transpose(1, 2)
    np.testing.assert_allclose(cache["k"], k_torch.numpy(), rtol=1e-12, atol=1e-12)
