# expect-bug: FFN counted with three matrices (SwiGLU's gate, up, down); this model has two: W_1 and W_2
import math


def count_params(d_model, n_layers, vocab, d_ff=None):
    if d_ff is None:
        return 12 * n_layers * d_model ** 2 + vocab * d_model
    # an explicit d_ff: a gated FFN (w1, w2, w3)
    return n_layers * (4 * d_model ** 2 + 3 * d_model * d_ff) + vocab * d_model


def train_flops(n_params, n_tokens):
    return 6.0 * float(n_params) * float(n_tokens)


def chinchilla_optimal(compute_flops):
    n = math.sqrt(compute_flops / 120.0)
    return n, 20.0 * n
