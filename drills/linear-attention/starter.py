"""Drill: linear attention with the feature map phi(x) = elu(x) + 1 (NumPy).

Implement `linear_attention`. Run `tfprep drill linear-attention` to grade this file.
"""
import numpy as np


def linear_attention(q, k, v, causal=False):
    """Kernelised attention: out_i = phi(q_i)^T S / (phi(q_i)^T z), phi(x) = elu(x) + 1.

    Args:
        q: (..., T, d) queries.
        k: (..., S, d) keys.
        v: (..., S, d_v) values.
        causal: if True (then T == S), query i sees keys j <= i, its own key included:
            S and z are prefix sums over the keys.

    No epsilon in the normaliser, no 1/sqrt(d) scale, and no (T, S) matrix: the memory must
    stay linear in the sequence length.

    Returns:
        out: (..., T, d_v)
    """
    raise NotImplementedError
