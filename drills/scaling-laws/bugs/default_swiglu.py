# expect-bug: default FFN width taken as 8/3 d_model (SwiGLU's); the default d_ff is 4 * d_model
import math


def count_params(d_model, n_layers, vocab, d_ff=None):
    if d_ff is None:
        d_ff = int(8 * d_model / 3)  # LLaMA's width
    attn = 4 * d_model ** 2
    mlp = 2 * d_model * d_ff
    return n_layers * (attn + mlp) + vocab * d_model


def train_flops(n_params, n_tokens):
    return 6.0 * float(n_params) * float(n_tokens)


def chinchilla_optimal(compute_flops):
    n = math.sqrt(compute_flops / 120.0)
    return n, 20.0 * n
