"""Parameter counts, training compute and the compute-optimal model size of a GPT-style decoder.

Parameters (Kaplan et al., 2020, "Scaling Laws for Neural Language Models", section 2.1 and
Table 1: N ~ 2 d_model n_layer (2 d_attn + d_ff) = 12 n_layer d_model^2 with d_attn = d_model,
d_ff = 4 d_model), per layer, weights only (no biases, no LayerNorm gains):

    attention   W_Q, W_K, W_V, W_O         4 d^2
    FFN         W_1 (d, d_ff), W_2 (d_ff, d)  2 d d_ff          (= 8 d^2 at d_ff = 4 d)
    N = L (4 d^2 + 2 d d_ff) + V d        (token embedding tied to the output head, no position
                                           embeddings: 12 L d^2 + V d at the default d_ff)

Training compute (Kaplan et al., 2020, section 2.1): about 2N FLOPs per token forward and 4N
backward, so C = 6 N D for D training tokens.

Compute-optimal allocation (Hoffmann et al., 2022, "Training Compute-Optimal Large Language
Models", the Chinchilla paper): N and D should grow in equal proportion with C, at about 20
tokens per parameter (Chinchilla: 70B parameters, 1.4T tokens). With D = 20 N and C = 6 N D:

    C = 120 N^2   =>   N = sqrt(C / 120),   D = 20 N

Dimension legend: see reference_impls/README.md (D = d_model, V vocabulary, d_ff).
"""
from __future__ import annotations

import math

TOKENS_PER_PARAM = 20  # Chinchilla's rule of thumb (Hoffmann et al., 2022)
FLOPS_PER_PARAM_TOKEN = 6  # forward 2 + backward 4 (Kaplan et al., 2020)


def count_params(d_model: int, n_layers: int, vocab: int, d_ff: int | None = None) -> int:
    """Weights of a GPT-style decoder without biases, LayerNorm or position embeddings (an int)."""
    d, L, V = int(d_model), int(n_layers), int(vocab)
    d_ff = 4 * d if d_ff is None else int(d_ff)
    attention = 4 * d * d  # W_Q, W_K, W_V, W_O, each (d, d)
    ffn = 2 * d * d_ff  # W_1 (d, d_ff) and W_2 (d_ff, d)
    embedding = V * d  # (V, d), shared with the output head: counted once
    return L * (attention + ffn) + embedding


def train_flops(n_params, n_tokens) -> float:
    """C = 6 N D training FLOPs (a float: real budgets pass 1e18, the int64 limit)."""
    return FLOPS_PER_PARAM_TOKEN * float(n_params) * float(n_tokens)


def chinchilla_optimal(compute_flops) -> tuple[float, float]:
    """(N, D) with D = 20 N and 6 N D = C: N = sqrt(C / 120) (two floats)."""
    n_params = math.sqrt(float(compute_flops) / (FLOPS_PER_PARAM_TOKEN * TOKENS_PER_PARAM))
    return n_params, TOKENS_PER_PARAM * n_params
