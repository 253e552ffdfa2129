"""Entropy of attention distributions, a standard diagnostic of attention heads (e.g. Zhai et
al., 2023, "Stabilizing Transformer Training by Preventing Attention Entropy Collapse"; Clark et
al., 2019, "What Does BERT Look At?"):

    H_q = -sum_k w[q, k] * ln w[q, k]       (nats; 0 * ln 0 = 0, the limit of w ln w as w -> 0)

one value per query row of the weights softmax(Q K^T / sqrt(d_k)). H_q = 0 for a query that
attends to a single key; H_q = ln S for uniform attention over S keys. Masked keys carry an
exact 0 weight and contribute nothing.

Dimension legend: see reference_impls/README.md (T queries, S keys).
"""
from __future__ import annotations

import numpy as np


def attention_entropy(weights: np.ndarray) -> np.ndarray:
    """weights (..., T, S), each row a distribution over the keys -> entropy per query (..., T)."""
    w = np.asarray(weights)
    positive = w > 0
    # Take the log of 1 where w == 0 (so no -inf, no warning), then drop those terms: 0 ln 0 = 0.
    w_log_w = np.where(positive, w * np.log(np.where(positive, w, 1)), 0)  # (..., T, S)
    return -np.sum(w_log_w, axis=-1)  # (..., T)
