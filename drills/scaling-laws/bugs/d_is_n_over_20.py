# expect-bug: D = N / 20, or the tuple returned as (D, N) (on every input they give the same numbers): Chinchilla's rule is D = 20 N, returned as (N, D)
import math


def count_params(d_model, n_layers, vocab, d_ff=None):
    if d_ff is None:
        d_ff = 4 * d_model
    return n_layers * (4 * d_model * d_model + 2 * d_model * d_ff) + vocab * d_model


def train_flops(n_params, n_tokens):
    return 6.0 * float(n_params) * float(n_tokens)


def chinchilla_optimal(compute_flops):
    # C = 6 N D with D = N / 20  =>  C = 0.3 N^2
    n = math.sqrt(compute_flops / 0.3)
    return n, n / 20
