# expect-bug: embedding counted twice (the output head is tied to the token embedding: count V*d once)
import math


def count_params(d_model, n_layers, vocab, d_ff=None):
    d_ff = d_ff or 4 * d_model
    per_layer = 4 * d_model * d_model + 2 * d_model * d_ff
    wte = vocab * d_model
    lm_head = d_model * vocab
    return n_layers * per_layer + wte + lm_head


def train_flops(n_params, n_tokens):
    return 6.0 * float(n_params) * float(n_tokens)


def chinchilla_optimal(compute_flops):
    n = math.sqrt(compute_flops / 120.0)
    return n, 20.0 * n
