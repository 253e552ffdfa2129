"""Layer normalisation (Ba et al., 2016) and RMSNorm (Zhang & Sennrich, 2019).

    LayerNorm(x) = (x - mu) / sqrt(sigma^2 + eps) * gamma + beta
        mu = mean(x), sigma^2 = mean((x - mu)^2)     over the last axis (the features)
    RMSNorm(x)   = x / sqrt(mean(x^2) + eps) * g     (no centring, no bias)

Each token is normalised on its own, over its D features; batch and sequence positions never
mix. Dimension legend: see reference_impls/README.md (D model width).
"""
from __future__ import annotations

import numpy as np


def layer_norm(x, gamma, beta, eps=1e-5):
    """x (..., D), gamma (D,), beta (D,) -> (..., D)."""
    mu = x.mean(axis=-1, keepdims=True)  # (..., 1)
    # Biased variance (divide by D), as the paper and torch.nn.LayerNorm: it is a
    # normalisation of this vector, not an estimate of a population's variance.
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)  # (..., 1)
    # eps inside the sqrt bounds the divisor below by sqrt(eps) for a constant input.
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


def rms_norm(x, weight, eps=1e-6):
    """x (..., D), weight (D,) -> (..., D)."""
    ms = (x**2).mean(axis=-1, keepdims=True)  # (..., 1): mean square, the mean is NOT removed
    return x / np.sqrt(ms + eps) * weight
