"""Sampling the next token: temperature, top-k (Fan et al., 2018, "Hierarchical Neural Story
Generation") and nucleus / top-p sampling (Holtzman et al., 2020, "The Curious Case of Neural
Text Degeneration", eq. 2), applied in that order:

    p = softmax(z / T)                             T = 0 means greedy: argmax z
    top-k: keep the k most probable tokens,                                       renormalise
    top-p: keep the smallest set V_p of most probable tokens with sum_{V_p} p >= top_p, renormalise

The token whose probability carries the cumulative mass across top_p (the "crossing" token) is
in V_p: a token is kept iff the mass of the tokens more probable than it is still < top_p.

Dimension legend: see reference_impls/README.md (V vocabulary size).
"""
from __future__ import annotations

import numpy as np

from tfprep.content.reference_impls.attention import softmax


def sampling_distribution(logits, temperature=1.0, top_k=None, top_p=None) -> np.ndarray:
    """The distribution `sample_token` draws from: probs (V,), summing to 1."""
    z = np.asarray(logits, dtype=np.float64)  # (V,)
    if temperature == 0:
        probs = np.zeros_like(z)
        probs[np.argmax(z)] = 1.0
        return probs
    probs = softmax(z / temperature)  # (V,)
    # Most probable first; a stable sort breaks ties by the lower token id.
    order = np.argsort(-probs, kind="stable")  # (V,)
    if top_k is not None and top_k < z.size:
        probs[order[top_k:]] = 0.0
        probs /= probs.sum()
    if top_p is not None:
        sorted_p = probs[order]  # (V,) still most probable first: top-k only zeroed the tail
        mass_before = np.concatenate(([0.0], np.cumsum(sorted_p)[:-1]))  # (V,) exclusive prefix sums
        probs[order[mass_before >= top_p]] = 0.0  # the crossing token has mass_before < top_p
        probs /= probs.sum()
    return probs


def sample_token(logits, rng: np.random.Generator, temperature=1.0, top_k=None, top_p=None) -> int:
    """Draw one token id from `sampling_distribution`; T = 0 is argmax and uses no randomness."""
    if temperature == 0:
        return int(np.argmax(logits))
    probs = sampling_distribution(logits, temperature, top_k, top_p)
    return int(rng.choice(probs.size, p=probs))
