"""The scaling-laws reference against outside numbers: published model sizes re-derived by hand
(GPT-2, GPT-3, LLaMA-7B), a bias-free tied torch model's parameter count, and the Chinchilla and
GPT-3 training budgets.

Sources: Kaplan et al., 2020, "Scaling Laws for Neural Language Models" (N = 12 n_layer d_model^2
without embeddings, C = 6ND); Hoffmann et al., 2022, "Training Compute-Optimal Large Language
Models" (Chinchilla: 70B parameters, 1.4T tokens, about 20 tokens per parameter); Brown et al.,
2020, "Language Models are Few-Shot Learners" (GPT-3 175B trained on 300B tokens, 3.14e23 FLOPs).
"""
import math

import pytest

from tfprep.content.reference_impls.scaling_laws import chinchilla_optimal, count_params, train_flops


def test_gpt3_shape():
    # 12 * 96 * 12288^2 = 173,946,175,488 in the blocks; 50257 * 12288 = 617,558,016 in the embedding.
    assert 12 * 96 * 12288**2 == 173_946_175_488 and 50257 * 12288 == 617_558_016
    assert count_params(12288, 96, 50257) == 174_563_733_504
    assert round(count_params(12288, 96, 50257) / 1e9, 1) == 174.6  # "175B"


def test_gpt2_small_matches_its_published_count():
    """GPT-2 small (Hugging Face `gpt2`) has 124,439,808 parameters: ours plus what this count
    leaves out, added by hand: learned positions (1024 x 768), biases and LayerNorms."""
    d, L, V, ctx = 768, 12, 50257, 1024
    ours = count_params(d, L, V)
    assert ours == 123_532_032
    biases = L * (3 * d + d + 4 * d + d)  # c_attn (3d), attn c_proj (d), mlp c_fc (4d), mlp c_proj (d)
    layernorms = L * 2 * (2 * d) + 2 * d  # ln_1, ln_2 per block (gain + bias), ln_f
    assert ours + ctx * d + biases + layernorms == 124_439_808


def test_llama_7b_matches_its_published_count():
    """LLaMA-7B has 6,738,415,616 parameters: ours with d_ff = 11008 plus SwiGLU's third FFN
    matrix, an untied output head and the RMSNorm gains (Touvron et al., 2023)."""
    d, L, V, d_ff = 4096, 32, 32000, 11008
    ours = count_params(d, L, V, d_ff=d_ff)
    assert ours == 5_164_236_800
    assert ours + L * d * d_ff + V * d + (2 * L + 1) * d == 6_738_415_616


def test_torch_module_count():
    """A bias-free decoder built from torch modules, output head tied: `parameters()` counts the shared tensor once."""
    torch = pytest.importorskip("torch")
    nn = torch.nn

    def model(d, L, V, d_ff):
        blocks = [nn.ModuleList([nn.Linear(d, d, bias=False) for _ in range(4)]
                                + [nn.Linear(d, d_ff, bias=False), nn.Linear(d_ff, d, bias=False)])
                  for _ in range(L)]
        wte, head = nn.Embedding(V, d), nn.Linear(d, V, bias=False)
        head.weight = wte.weight
        return nn.ModuleList([wte, head, *blocks])

    for d, L, V, d_ff in ((64, 3, 1000, None), (96, 5, 333, 200), (128, 2, 50257, 300)):
        m = model(d, L, V, 4 * d if d_ff is None else d_ff)
        assert sum(p.numel() for p in m.parameters()) == count_params(d, L, V, d_ff)


def test_training_budgets():
    assert train_flops(70e9, 1.4e12) == pytest.approx(5.88e23, rel=1e-12)  # Chinchilla, "~5.9e23"
    assert train_flops(count_params(12288, 96, 50257), 300e9) == pytest.approx(3.14e23, rel=1e-3)  # GPT-3
    assert isinstance(train_flops(10, 10), float)


def test_chinchilla_optimal_recovers_chinchilla():
    n, d = chinchilla_optimal(5.88e23)
    assert n == pytest.approx(70e9, rel=1e-12) and d == pytest.approx(1.4e12, rel=1e-12)
    for c in (1e20, 3.14e23, 1e26):
        n, d = chinchilla_optimal(c)
        assert d == pytest.approx(20 * n, rel=1e-15) and 6 * n * d == pytest.approx(c, rel=1e-12)
        assert n == pytest.approx(math.sqrt(c / 120), rel=1e-15)
