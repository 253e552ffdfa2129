"""The RoPE reference against the two published formulations, written in torch (torch has no
built-in RoPE): Meta's LLaMA complex-number code for the interleaved layout and Hugging Face's
`rotate_half` for the half-split one; plus a hand-worked example."""
import math

import numpy as np
import pytest

from tfprep.content.reference_impls.rope import apply_rope


def test_hand_worked():
    # d = 2: one pair with theta_0 = 1, so position p rotates (1, 0) by p radians, counter-clockwise.
    x = np.tile([1.0, 0.0], (3, 1))
    expected = [[1.0, 0.0], [math.cos(1), math.sin(1)], [math.cos(2), math.sin(2)]]
    np.testing.assert_allclose(apply_rope(x, np.arange(3)), expected, atol=1e-15)
    # d = 4, base 100: theta = (1, 1/10). Interleaved pairs (0, 1), (2, 3); half-split (0, 2), (1, 3).
    x = np.array([[1.0, 2.0, 3.0, 4.0]])
    c1, s1, c2, s2 = math.cos(1), math.sin(1), math.cos(0.1), math.sin(0.1)
    np.testing.assert_allclose(apply_rope(x, np.array([1]), base=100.0),
                               [[c1 - 2 * s1, s1 + 2 * c1, 3 * c2 - 4 * s2, 3 * s2 + 4 * c2]], atol=1e-15)
    np.testing.assert_allclose(apply_rope(x, np.array([1]), base=100.0, interleaved=False),
                               [[c1 - 3 * s1, 2 * c2 - 4 * s2, s1 + 3 * c1, 2 * s2 + 4 * c2]], atol=1e-15)


def _llama_meta(torch, x, positions, base):
    # facebookresearch/llama model.py: precompute_freqs_cis + apply_rotary_emb
    d = x.shape[-1]
    freqs = 1.0 / (base ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    freqs_cis = torch.polar(torch.ones(len(positions), d // 2, dtype=torch.float64),
                            torch.outer(positions.to(torch.float64), freqs))
    x_ = torch.view_as_complex(x.reshape(*x.shape[:-1], -1, 2))
    return torch.view_as_real(x_ * freqs_cis).flatten(-2)


def _hf_rotate_half(torch, x, positions, base):
    # transformers' LlamaRotaryEmbedding + apply_rotary_pos_emb
    d = x.shape[-1]
    inv_freq = 1.0 / (base ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    emb = torch.cat([torch.outer(positions.to(torch.float64), inv_freq)] * 2, dim=-1)
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return x * emb.cos() + torch.cat((-x2, x1), dim=-1) * emb.sin()


@pytest.mark.parametrize("interleaved", [True, False])
@pytest.mark.parametrize("shape,base", [((7, 8), 10000.0), ((2, 3, 9, 64), 10000.0), ((4, 16), 500.0)])
def test_matches_published_formulations(interleaved, shape, base):
    torch = pytest.importorskip("torch")
    g = np.random.default_rng(0)
    x = g.standard_normal(shape)
    positions = g.integers(0, 4096, size=shape[-2])
    oracle = _llama_meta if interleaved else _hf_rotate_half
    expected = oracle(torch, torch.from_numpy(x), torch.from_numpy(positions), base).numpy()
    np.testing.assert_allclose(apply_rope(x, positions, base, interleaved), expected, rtol=1e-10, atol=1e-10)
