"""Linear attention (Katharopoulos et al., 2020, "Transformers are RNNs: Fast Autoregressive
Transformers with Linear Attention", eq. 6 and, for the causal case, eqs. 8-10).

Softmax attention's similarity exp(q.k / sqrt(d)) is replaced by a kernel phi(q)^T phi(k) with
the positive feature map phi(x) = elu(x) + 1. Associativity then lets the key/value sums be
formed once instead of per query pair:

    V'_i = phi(Q_i)^T S / phi(Q_i)^T Z,   S = sum_j phi(K_j) V_j^T  (d, d_v),   Z = sum_j phi(K_j)  (d,)

Causal (eq. 8-10): S_i and Z_i are prefix sums over j <= i (query i sees its own key). Memory is
O(N d d_v) (the prefix-summed states) instead of the O(N^2) of the score matrix. There is no
epsilon in the normaliser: phi > 0, so phi(Q_i)^T Z_i > 0 for every query.

Dimension legend: see reference_impls/README.md (T query length, S key length, N = T = S when
causal, d = d_k feature width, d_v value width).
"""
from __future__ import annotations

import numpy as np


def elu_feature_map(x: np.ndarray) -> np.ndarray:
    """phi(x) = elu(x) + 1, i.e. x + 1 for x > 0 and exp(x) for x <= 0.

    Written as exp(x) on the negative side rather than (exp(x) - 1) + 1, which cancels
    catastrophically (exp(-30) - 1 + 1 keeps about 3 significant digits in float64).
    """
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


def linear_attention(q, k, v, causal: bool = False) -> np.ndarray:
    """q (..., T, d), k (..., S, d), v (..., S, d_v) -> out (..., T, d_v); causal needs T == S."""
    phi_q, phi_k = elu_feature_map(q), elu_feature_map(k)  # (..., T, d), (..., S, d)
    if not causal:
        kv = np.swapaxes(phi_k, -1, -2) @ v  # (..., d, d_v): S = sum_j phi(K_j) V_j^T
        z = phi_k.sum(axis=-2)  # (..., d): Z = sum_j phi(K_j)
        num = phi_q @ kv  # (..., T, d_v)
        den = np.einsum("...td,...d->...t", phi_q, z)  # (..., T)
        return num / den[..., None]
    if q.shape[-2] != k.shape[-2]:
        raise ValueError("causal linear attention needs as many queries as keys")
    # Prefix sums over the sequence axis: the state after token i includes token i itself.
    kv = np.cumsum(phi_k[..., :, :, None] * v[..., :, None, :], axis=-3)  # (..., N, d, d_v)
    z = np.cumsum(phi_k, axis=-2)  # (..., N, d)
    num = np.einsum("...nd,...nde->...ne", phi_q, kv)  # (..., N, d_v)
    den = np.einsum("...nd,...nd->...n", phi_q, z)  # (..., N)
    return num / den[..., None]
