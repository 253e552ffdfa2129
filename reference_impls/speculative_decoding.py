"""Speculative sampling: the accept / reject step (Leviathan, Kalman & Matias, 2023, "Fast
Inference from Transformers via Speculative Decoding", Algorithm 1; Chen et al., 2023,
"Accelerating Large Language Model Decoding with Speculative Sampling", Algorithm 2).

A draft model proposed tokens x_1..x_k with distributions q_i; the target model scored the same
prefixes, giving p_i for i = 1..k+1. For i = 1..k:

    accept x_i with probability min(1, p_i(x_i) / q_i(x_i))
    on the first rejection, emit y ~ norm(max(0, p_i - q_i)) and stop
    if all k are accepted, emit a bonus token y ~ p_{k+1}

Theorem (both papers): every emitted token is distributed exactly as sampling from the target,
P(token = x) = min(p(x), q(x)) + max(0, p(x) - q(x)) = p(x).

Dimension legend: see reference_impls/README.md (V vocabulary size); k = number of drafts.
"""
from __future__ import annotations

import numpy as np


def residual(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """norm(max(0, p - q)): what is left of p after the mass the draft already covers."""
    r = np.maximum(p - q, 0.0)  # (V,)
    return r / r.sum()  # never 0 / 0 here: a rejection has probability sum(r), so it only happens when sum(r) > 0


def speculative_accept(draft_tokens, draft_probs, target_probs, rng: np.random.Generator) -> list[int]:
    """draft_tokens (k,), draft_probs q (k, V), target_probs p (k + 1, V). Returns 1..k+1 tokens."""
    q = np.asarray(draft_probs, dtype=np.float64)  # (k, V)
    p = np.asarray(target_probs, dtype=np.float64)  # (k + 1, V)
    out: list[int] = []
    for i, x in enumerate(draft_tokens):
        x = int(x)
        # r < p/q accepts with probability min(1, p/q); no division, so q(x) = 0 is harmless.
        if rng.random() * q[i, x] < p[i, x]:
            out.append(x)
            continue
        out.append(int(rng.choice(p.shape[1], p=residual(p[i], q[i]))))
        return out
    out.append(int(rng.choice(p.shape[1], p=p[-1])))  # every draft accepted: one more token for free
    return out
