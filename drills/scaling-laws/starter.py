"""Drill: parameter counts, training FLOPs and Chinchilla's compute-optimal size (plain Python / NumPy).

Implement `count_params`, `train_flops` and `chinchilla_optimal`. Run `tfprep drill scaling-laws`
to grade this file.
"""
import math


def count_params(d_model, n_layers, vocab, d_ff=None):
    """Weights of a GPT-style decoder: no biases, no LayerNorm, no position embeddings.

    Per layer: attention W_Q, W_K, W_V, W_O (each d_model x d_model) and a two-matrix FFN
    W_1 (d_model x d_ff), W_2 (d_ff x d_model). Plus one token embedding (vocab x d_model),
    tied to the output head.

    Args:
        d_model: model width (int).
        n_layers: number of blocks (int).
        vocab: vocabulary size (int).
        d_ff: FFN hidden width (int); None means 4 * d_model.

    Returns:
        an int, the exact count (12 * n_layers * d_model**2 + vocab * d_model at the default d_ff).
    """
    raise NotImplementedError


def train_flops(n_params, n_tokens):
    """Training compute C = 6 N D (forward ~2ND, backward ~4ND).

    Args:
        n_params: N, the parameter count (int or float, Python or NumPy).
        n_tokens: D, the number of training tokens (int or float, Python or NumPy).

    Returns:
        a float.
    """
    raise NotImplementedError


def chinchilla_optimal(compute_flops):
    """Compute-optimal (N, D) for a budget C: D = 20 N and C = 6 N D.

    Args:
        compute_flops: C, the training budget in FLOPs (a float).

    Returns:
        a tuple of two floats (N, D): parameters, then tokens.
    """
    raise NotImplementedError
