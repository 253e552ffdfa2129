"""The pre-LN block reference against torch.nn.TransformerEncoderLayer(norm_first=True),
loaded with the same weights (attention biases zero, exact GELU, no dropout)."""
import numpy as np
import pytest

from tfprep.content.reference_impls.transformer_block import pre_ln_block

torch = pytest.importorskip("torch")


def torch_block(x, p, n_heads, causal):
    D, F = p["w_1"].shape
    layer = torch.nn.TransformerEncoderLayer(D, n_heads, dim_feedforward=F, dropout=0.0, activation="gelu",
                                             layer_norm_eps=1e-5, batch_first=True, norm_first=True,
                                             dtype=torch.float64)
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    with torch.no_grad():
        # torch's Linear computes x @ W^T: its weights are our matrices transposed.
        layer.self_attn.in_proj_weight.copy_(t(np.concatenate([p["w_q"].T, p["w_k"].T, p["w_v"].T])))
        layer.self_attn.in_proj_bias.zero_()
        layer.self_attn.out_proj.weight.copy_(t(p["w_o"].T))
        layer.self_attn.out_proj.bias.zero_()
        layer.linear1.weight.copy_(t(p["w_1"].T))
        layer.linear1.bias.copy_(t(p["b_1"]))
        layer.linear2.weight.copy_(t(p["w_2"].T))
        layer.linear2.bias.copy_(t(p["b_2"]))
        for i in (1, 2):
            getattr(layer, f"norm{i}").weight.copy_(t(p[f"ln{i}_g"]))
            getattr(layer, f"norm{i}").bias.copy_(t(p[f"ln{i}_b"]))
        layer.eval()
        T = x.shape[1]
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1) if causal else None  # True = hidden
        return layer(t(x), src_mask=mask).numpy()


@pytest.mark.parametrize("B,T,D,H,F,causal", [
    (2, 5, 16, 4, 64, True),
    (1, 7, 12, 3, 48, False),
    (3, 4, 8, 1, 32, True),
])
def test_matches_torch_encoder_layer(B, T, D, H, F, causal):
    g = np.random.default_rng(D * T + H)
    p = {"ln1_g": 1 + 0.2 * g.standard_normal(D), "ln1_b": 0.2 * g.standard_normal(D),
         "ln2_g": 1 + 0.2 * g.standard_normal(D), "ln2_b": 0.2 * g.standard_normal(D),
         "w_1": g.standard_normal((D, F)) / np.sqrt(D), "b_1": 0.5 * g.standard_normal(F),
         "w_2": g.standard_normal((F, D)) / np.sqrt(F), "b_2": 0.2 * g.standard_normal(D)}
    for name in ("w_q", "w_k", "w_v", "w_o"):
        p[name] = g.standard_normal((D, D)) / np.sqrt(D)
    x = 2 * g.standard_normal((B, T, D)) + 1.0
    np.testing.assert_allclose(pre_ln_block(x, p, H, causal=causal), torch_block(x, p, H, causal),
                               rtol=1e-9, atol=1e-10)
