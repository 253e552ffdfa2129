"""Drill: grouped-query attention (NumPy).

Implement `grouped_query_attention`. Run `tfprep drill gqa` to grade this file.
"""
import numpy as np


def grouped_query_attention(q, k, v, mask=None):
    """Attention where Hq query heads share Hkv key/value heads (consecutive groups).

    Args:
        q: (B, Hq, T, d) queries.
        k: (B, Hkv, S, d) keys, Hq % Hkv == 0.
        v: (B, Hkv, S, d_v) values.
        mask: optional bool array broadcastable to (B, Hq, T, S); True = query may attend to key.

    Query head h uses key/value head h // (Hq // Hkv).

    Returns:
        out: (B, Hq, T, d_v)
    """
    raise NotImplementedError
