# expect-bug: C = 2ND counts the forward pass only (training is ~6ND: 2ND forward + 4ND backward)
import math


def count_params(d_model, n_layers, vocab, d_ff=None):
    if d_ff is None:
        d_ff = 4 * d_model
    return n_layers * (4 * d_model * d_model + 2 * d_model * d_ff) + vocab * d_model


def train_flops(n_params, n_tokens):
    return 2.0 * n_params * n_tokens  # 2 FLOPs per parameter per token


def chinchilla_optimal(compute_flops):
    n = math.sqrt(compute_flops / 120.0)
    return n, 20.0 * n
