"""Position-wise feed-forward activations: GELU (Hendrycks & Gimpel, 2016) and SwiGLU (Shazeer, 2020).

    GELU(x)       = x * Phi(x) = x/2 * (1 + erf(x / sqrt(2)))                       exact
                  ~ x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))                approximate
    SiLU(x)       = x * sigmoid(x)                              (Swish with beta = 1)
    FFN_SwiGLU(x) = (SiLU(x W_gate) * (x W_up)) W_down          ("GLU Variants Improve Transformer", eq. 6;
                                                                 LLaMA's w1, w3, w2)

Dimension legend: see reference_impls/README.md (D model width, F hidden width).
"""
from __future__ import annotations

import math

import numpy as np

# NumPy has no erf; math.erf is correctly rounded in float64, so vectorising it keeps the
# reference exact (at Python-loop speed, which is fine for test-sized arrays).
_erf = np.vectorize(math.erf, otypes=[np.float64])


def gelu(x, approximate=False):
    x = np.asarray(x, dtype=np.float64)
    if approximate:
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def sigmoid(x):
    # tanh form: no exp overflow for x ~ -1000, and exact, since sigmoid(x) = (1 + tanh(x/2)) / 2.
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def silu(x):
    return x * sigmoid(x)


def swiglu_ffn(x, w_gate, w_up, w_down):
    """x (..., D), w_gate (D, F), w_up (D, F), w_down (F, D) -> (..., D)."""
    h = silu(x @ w_gate) * (x @ w_up)  # (..., F): the gate decides how much of each up feature passes
    return h @ w_down  # (..., D)
