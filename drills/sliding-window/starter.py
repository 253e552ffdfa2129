"""Drill: sliding-window causal attention (NumPy).

Implement `sliding_window_mask` and `sliding_window_attention`. Run `tfprep drill sliding-window`
to grade this file.
"""
import numpy as np


def sliding_window_mask(seq_len, window):
    """Causal sliding-window mask: query i may attend to key j iff i - window < j <= i.

    Args:
        seq_len: T, the number of positions (queries and keys).
        window: number of keys each query sees, itself included (window >= 1).

    Returns:
        bool array (T, T); True = query i (row) may attend to key j (column).
    """
    raise NotImplementedError


def sliding_window_attention(q, k, v, window):
    """softmax(q @ k^T / sqrt(d_k), restricted to the sliding window) @ v.

    Args:
        q: (..., T, d_k) queries.
        k: (..., T, d_k) keys.
        v: (..., T, d_v) values.
        window: number of keys each query sees, itself included (window >= 1).

    Returns:
        out (..., T, d_v).
    """
    raise NotImplementedError
