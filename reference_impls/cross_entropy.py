"""Token-level cross-entropy and perplexity for language modelling.

    log p(y | x) = z_y - logsumexp(z),   logsumexp(z) = m + log sum_v exp(z_v - m),  m = max_v z_v
    CE  = -(1/N) sum_{n : y_n != ignore_index} log p(y_n | x_n)      (nats, averaged over kept tokens)
    PPL = exp(CE)

as torch.nn.functional.cross_entropy with reduction="mean". Dimension legend: see
reference_impls/README.md (V vocabulary size).
"""
from __future__ import annotations

import numpy as np


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    # z - logsumexp(z), never log(softmax(z)): exp(z) overflows for z > ~709 in float64, and a
    # probability below ~1e-308 rounds to 0 whose log is -inf, while z - lse stays finite.
    m = np.max(z, axis=axis, keepdims=True)
    return z - (m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True)))


def cross_entropy(logits, targets, ignore_index=-100):
    """logits (..., V), targets int (...) -> mean CE over the targets != ignore_index (a float)."""
    targets = np.asarray(targets)
    keep = targets != ignore_index  # (...)
    log_p = log_softmax(np.asarray(logits, dtype=np.float64))  # (..., V)
    # Ignored targets may be out of range (-100): index with a placeholder class, then drop them.
    safe = np.where(keep, targets, 0)[..., None]  # (..., 1)
    nll = -np.take_along_axis(log_p, safe, axis=-1)[..., 0]  # (...)
    # The denominator counts only kept tokens: padding must not dilute the loss.
    return float(nll[keep].sum() / keep.sum())


def perplexity(logits, targets, ignore_index=-100):
    """exp of the mean cross-entropy (per-token geometric-mean inverse probability)."""
    return float(np.exp(cross_entropy(logits, targets, ignore_index)))
