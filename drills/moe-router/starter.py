"""Drill: top-k mixture-of-experts routing, Switch's load-balancing loss, and the MoE forward (NumPy).

Implement `top_k_route`, `load_balancing_loss` and `moe_forward`. Run `tfprep drill moe-router`
to grade this file.
"""
import numpy as np


def top_k_route(x, w_gate, k):
    """Choose k experts per token.

    Args:
        x: tokens (..., D).
        w_gate: router weights (D, E); logits = x @ w_gate, shape (..., E).
        k: experts per token, 1 <= k <= E.

    Returns:
        (experts, weights), both (..., k):
        - experts: int indices of the k largest logits, best first; equal logits go to the
          lower expert index.
        - weights: softmax over those k chosen logits (Mixtral's gate), summing to 1 per token.
    """
    raise NotImplementedError


def load_balancing_loss(router_logits, experts, n_experts):
    """Switch Transformer's auxiliary loss: n_experts * sum_i f_i * P_i.

    Args:
        router_logits: (..., E) logits of every token.
        experts: (..., k) int, the experts each token was routed to (use them as given).
        n_experts: E.

    Returns:
        A float. f_i = fraction of the N * k token-slots routed to expert i; P_i = mean over the
        N tokens of softmax(router_logits)_i.
    """
    raise NotImplementedError


def moe_forward(x, w_gate, experts, k):
    """Sparse MoE layer: each token's output is the gate-weighted sum of its k experts' outputs.

    Args:
        x: tokens (..., D).
        w_gate: router weights (D, E).
        experts: list of E callables; experts[e] maps an array of tokens (n, D) to (n, D), row by row.
        k: experts per token.

    Returns:
        (..., D): y = sum_j weights[..., j] * experts[experts_idx[..., j]](x), routing as in top_k_route.
    """
    raise NotImplementedError
