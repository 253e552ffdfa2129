"""Top-k mixture-of-experts routing (Shazeer et al., 2017, "Outrageously Large Neural
Networks: The Sparsely-Gated Mixture-of-Experts Layer"), with the gate of Mixtral (Jiang et
al., 2024, "Mixtral of Experts", eq. 2: softmax over the top-k logits) and the auxiliary
load-balancing loss of Switch (Fedus, Zoph and Shazeer, 2021, "Switch Transformers: Scaling
to Trillion Parameter Models with Simple and Efficient Sparsity", eq. 4-6).

    logits  h(x) = x W_g                                    (..., E)
    route   e_1..e_k = the k largest logits, best first, ties to the lower expert index
    gate    G(x)_j = softmax(h(x)_{e_1}, ..., h(x)_{e_k})_j
    y       = sum_j G(x)_j * expert_{e_j}(x)

    loss    = E * sum_i f_i * P_i                           (Switch eq. 4, alpha left to the caller)
    f_i     = fraction of the N*k token-slots routed to expert i   (eq. 5; k = 1 in Switch)
    P_i     = mean over the N tokens of softmax(h(x))_i             (eq. 6)

Dimension legend: see reference_impls/README.md (D model width); here E experts, k chosen
per token, N tokens (all leading axes of x together).
"""
from __future__ import annotations

import numpy as np


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - np.max(z, axis=-1, keepdims=True)  # stable: exp of values <= 0
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)


def top_k_route(x: np.ndarray, w_gate: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """x (..., D), w_gate (D, E) -> experts (..., k) int, weights (..., k) summing to 1."""
    logits = x @ w_gate  # (..., E)
    # A stable sort of -logits puts the larger logit first and, among equal ones, the lower index.
    experts = np.argsort(-logits, axis=-1, kind="stable")[..., :k]  # (..., k)
    chosen = np.take_along_axis(logits, experts, axis=-1)  # (..., k)
    return experts, _softmax(chosen)


def load_balancing_loss(router_logits: np.ndarray, experts: np.ndarray, n_experts: int) -> float:
    """router_logits (..., E), experts (..., k) int -> Switch's auxiliary loss, a float."""
    E = n_experts
    probs = _softmax(router_logits.reshape(-1, E))  # (N, E)
    slots = experts.reshape(-1)  # (N * k,)
    f = np.bincount(slots, minlength=E) / slots.size  # (E,) fraction of token-slots per expert
    P = probs.mean(axis=0)  # (E,) mean router probability per expert
    return float(E * np.sum(f * P))


def moe_forward(x: np.ndarray, w_gate: np.ndarray, experts: list, k: int) -> np.ndarray:
    """x (..., D); experts: E callables mapping (n, D) -> (n, D). Returns (..., D)."""
    idx, gates = top_k_route(x, w_gate, k)  # (..., k), (..., k)
    lead, D = x.shape[:-1], x.shape[-1]
    xf, idx, gates = x.reshape(-1, D), idx.reshape(-1, k), gates.reshape(-1, k)  # (N, D), (N, k)
    y = None
    for e, expert in enumerate(experts):
        token, slot = np.nonzero(idx == e)  # the tokens routed to e, and in which of their k slots
        if token.size == 0:
            continue  # sparse: an expert no token chose is never run
        out = expert(xf[token])  # (n_e, D)
        if y is None:
            y = np.zeros((xf.shape[0], out.shape[-1]), dtype=np.result_type(out, gates))
        y[token] += gates[token, slot, None] * out  # (n_e, D); each token picks an expert at most once
    return y.reshape(*lead, -1)
