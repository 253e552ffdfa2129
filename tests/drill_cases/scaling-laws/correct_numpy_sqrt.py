# A correct solution written in terms of the blocks of a nanoGPT-style model (wte, attn.c_attn,
# attn.c_proj, mlp.c_fc, mlp.c_proj), bias=False, lm_head.weight tied to wte.weight.
import numpy as np


def count_params(d_model, n_layers, vocab, d_ff=None):
    hidden = 4 * d_model if d_ff is None else d_ff
    shapes = {
        "attn.c_attn": (d_model, 3 * d_model),  # q, k, v fused
        "attn.c_proj": (d_model, d_model),
        "mlp.c_fc": (d_model, hidden),
        "mlp.c_proj": (hidden, d_model),
    }
    per_block = sum(rows * cols for rows, cols in shapes.values())
    wte = vocab * d_model  # lm_head shares this tensor
    return int(n_layers * per_block + wte)


def train_flops(n_params, n_tokens):
    forward = 2 * np.float64(n_params) * np.float64(n_tokens)
    backward = 2 * forward
    return forward + backward


def chinchilla_optimal(compute_flops):
    tokens_per_param = 20.0
    n = np.sqrt(compute_flops / (6.0 * tokens_per_param))
    return float(n), float(tokens_per_param * n)
